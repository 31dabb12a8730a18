import { parseArgs } from "node:util";
import { VMError } from "@vm/provider-kit";
import { DEPLOY_STEPS, type StepId } from "./deploy-app.js";

/**
 * Parsed command line of the demo.
 *
 * @example
 * ```ts
 * import type { CliOptions } from "@vm/demo";
 * const options: CliOptions = { provider: "docker", json: false, help: false, ttlSeconds: 600 };
 * ```
 */
export interface CliOptions {
  provider: "docker" | "morph";
  json: boolean;
  help: boolean;
  /** Morph API base URL (also MORPH_BASE_URL). */
  baseUrl?: string;
  /** Image to start from (also VM_BASE_IMAGE). */
  image?: string;
  ttlSeconds: number;
  /** Test hook: after this step, wait for SIGINT/SIGTERM. */
  pauseAfter?: StepId;
  /** How step 1 gets Node and PM2 into the image (default: `upload` on Morph, `none` on Docker). */
  provision?: "upload" | "network" | "none";
  /** pm2 package directory to upload (`--provision upload`). */
  pm2Dir?: string;
}

/**
 * The `--help` text.
 *
 * @example
 * ```ts
 * import { USAGE } from "@vm/demo";
 * console.log(USAGE);
 * ```
 */
export const USAGE = `Usage: pnpm --filter @vm/demo start -- [options]

Deploys a small Node app into a VM, proves it serves, forks it twice, and removes everything.

Options:
  --provider docker|morph  where the VM runs (default: docker)
  --json                   print machine-readable results on stdout instead of the report
  --image <ref>            image to snapshot in step 1 (Docker default: $VM_BASE_IMAGE, else
                           what scripts/base-image.sh builds; Morph default: morphvm-minimal)
  --base-url <url>         Morph API base URL (default: $MORPH_BASE_URL, else Morph Cloud)
  --provision <how>        how step 1 installs Node and PM2 in an image without them, once, into
                           a snapshot later runs reuse by digest: upload (this machine's Node and
                           pm2, through the provider's file writes), network (the VM downloads
                           them), none (the image has them). Default: upload on Morph, none on Docker
  --pm2-dir <dir>          pm2 package directory to upload (default: npm installs pm2 into
                           ~/.cache/vm-demo once)
  --ttl <seconds>          TTL of the booted VM, terminate when it runs out (default: 600)
  --pause-after <step>     test hook: stop after this step (number or id) until SIGINT/SIGTERM
  -h, --help               show this help

Environment:
  MORPH_API_KEY            API key for --provider morph (required there)
  DOCKER_HOST              Docker engine to use (default: the local socket)

Exit code: 0 when every check held; 1 when a check or step failed; 2 for bad usage or
setup (engine down, bad key); 130/143 when interrupted (after cleaning up).`;

function usageError(message: string): VMError {
  return new VMError("INVALID_ARGUMENT", message, { operation: "cli" });
}

function parseStep(value: string): StepId {
  const byNumber = /^\d+$/.test(value) ? DEPLOY_STEPS.find((s) => s.step === Number(value)) : undefined;
  const step = byNumber ?? DEPLOY_STEPS.find((s) => s.id === value);
  // Pausing after the last step would pause after everything is already gone.
  const pausable = DEPLOY_STEPS.filter((s) => s.id !== "cleanup");
  if (step === undefined || step.id === "cleanup") {
    throw usageError(`--pause-after must be a step number 1-${pausable.length} or one of ${pausable.map((s) => s.id).join(", ")}; got ${JSON.stringify(value)}`);
  }
  return step.id;
}

/**
 * Parses the demo's arguments. Throws `VMError` `INVALID_ARGUMENT` with a message meant
 * for the user on anything it does not understand.
 *
 * @example
 * ```ts
 * import { parseCliArgs } from "@vm/demo";
 * const options = parseCliArgs(["--provider", "morph", "--json"]);
 * console.log(options.provider, options.json); // "morph" true
 * ```
 */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  // `pnpm start -- --json` passes a literal "--" through on some pnpm versions.
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        provider: { type: "string" },
        json: { type: "boolean", default: false },
        image: { type: "string" },
        "base-url": { type: "string" },
        ttl: { type: "string" },
        "pause-after": { type: "string" },
        provision: { type: "string" },
        "pm2-dir": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw usageError(err instanceof Error ? err.message : String(err));
  }
  const provider = values.provider ?? "docker";
  if (provider !== "docker" && provider !== "morph") throw usageError(`--provider must be docker or morph, got ${JSON.stringify(provider)}`);
  let ttlSeconds = 600;
  if (values.ttl !== undefined) {
    if (!/^\d+$/.test(values.ttl) || Number(values.ttl) < 60 || Number(values.ttl) > 86_400) {
      throw usageError(`--ttl must be a whole number of seconds from 60 to 86400, got ${JSON.stringify(values.ttl)}`);
    }
    ttlSeconds = Number(values.ttl);
  }
  if (values["base-url"] !== undefined) {
    let url: URL;
    try {
      url = new URL(values["base-url"]);
    } catch {
      throw usageError(`--base-url must be an http(s) URL, got ${JSON.stringify(values["base-url"])}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw usageError(`--base-url must be an http(s) URL, got ${JSON.stringify(values["base-url"])}`);
    if (provider !== "morph") throw usageError("--base-url only applies to --provider morph");
  }
  if (values.image !== undefined && values.image.trim() === "") throw usageError("--image must not be empty");
  const options: CliOptions = { provider, json: values.json, help: values.help, ttlSeconds };
  if (values["base-url"] !== undefined) options.baseUrl = values["base-url"];
  if (values.image !== undefined) options.image = values.image;
  if (values["pause-after"] !== undefined) options.pauseAfter = parseStep(values["pause-after"]);
  if (values.provision !== undefined) {
    const how = values.provision;
    if (how !== "upload" && how !== "network" && how !== "none") throw usageError(`--provision must be upload, network or none, got ${JSON.stringify(how)}`);
    options.provision = how;
  }
  if (values["pm2-dir"] !== undefined) {
    if (!values["pm2-dir"].startsWith("/")) throw usageError(`--pm2-dir must be an absolute path, got ${JSON.stringify(values["pm2-dir"])}`);
    if ((options.provision ?? (provider === "morph" ? "upload" : "none")) !== "upload") throw usageError("--pm2-dir only applies to --provision upload");
    options.pm2Dir = values["pm2-dir"];
  }
  return options;
}
