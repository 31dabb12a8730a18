import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { VMProvider } from "@vm/core";
import { VMError } from "@vm/provider-kit";

/**
 * The image a Morph run starts from unless `--image` says otherwise: Morph's minimal image
 * (no Node, no PM2: the demo installs them once, see `--provision`; the emulator offers the
 * local minimal image under this id).
 *
 * @example
 * ```ts
 * import { MORPH_DEFAULT_IMAGE } from "@vm/demo";
 * console.log(MORPH_DEFAULT_IMAGE); // "morphvm-minimal"
 * ```
 */
export const MORPH_DEFAULT_IMAGE = "morphvm-minimal";

/**
 * The label the demo asks the Docker provider to put on every container and image it
 * creates for one run (forks and their internal snapshots included), so a leak check can
 * find exactly this run's resources: `docker ps -a --filter label=vm-demo.run=<runId>`.
 *
 * @example
 * ```ts
 * import { DEMO_DOCKER_RUN_LABEL } from "@vm/demo";
 * const filter = `label=${DEMO_DOCKER_RUN_LABEL}=demo-abc`;
 * ```
 */
export const DEMO_DOCKER_RUN_LABEL = "vm-demo.run";

/**
 * How to build the provider the CLI runs the demo on.
 *
 * @example
 * ```ts
 * import type { ProviderChoice } from "@vm/demo";
 * const choice: ProviderChoice = { provider: "morph", runId: "demo-1", apiKey: "…", baseUrl: "http://127.0.0.1:8080" };
 * ```
 */
export interface ProviderChoice {
  provider: "docker" | "morph";
  runId: string;
  apiKey?: string;
  baseUrl?: string;
}

/**
 * Creates the chosen provider. Morph without an API key is `INVALID_ARGUMENT` before any
 * request is made.
 *
 * @example
 * ```ts
 * import { createProvider } from "@vm/demo";
 * const provider = await createProvider({ provider: "docker", runId: "demo-1" });
 * console.log(provider.name);
 * ```
 */
export async function createProvider(choice: ProviderChoice): Promise<VMProvider> {
  if (choice.provider === "docker") {
    const { createDockerVMProvider } = await import("@vm/provider-docker");
    return createDockerVMProvider({ labels: { [DEMO_DOCKER_RUN_LABEL]: choice.runId } });
  }
  if (!choice.apiKey) {
    throw new VMError("INVALID_ARGUMENT", "MORPH_API_KEY is not set: export MORPH_API_KEY=<your key> to run the demo on Morph", { operation: "cli" });
  }
  // Loaded on demand: a Docker run never loads the Morph client and its dependencies.
  const { createMorphVMProvider } = await import("@vm/provider-morph");
  return createMorphVMProvider(choice.baseUrl === undefined ? { apiKey: choice.apiKey } : { apiKey: choice.apiKey, baseUrl: choice.baseUrl });
}

/**
 * The repository root, found from this file (`apps/demo/dist` or `apps/demo/src`).
 *
 * @example
 * ```ts
 * import { repoRoot } from "@vm/demo";
 * console.log(repoRoot());
 * ```
 */
export function repoRoot(): string {
  return resolve(import.meta.dirname, "..", "..", "..");
}

/**
 * The base image for a Docker run: `$VM_BASE_IMAGE`, else what `scripts/base-image.sh`
 * prints on its last line (it builds the image when missing; its progress goes to stderr).
 *
 * @example
 * ```ts
 * import { resolveDockerBaseImage } from "@vm/demo";
 * const image = await resolveDockerBaseImage(process.env);
 * ```
 */
export async function resolveDockerBaseImage(env: NodeJS.ProcessEnv, root = repoRoot()): Promise<string> {
  const fromEnv = env.VM_BASE_IMAGE?.trim();
  if (fromEnv) return fromEnv;
  const script = join(root, "scripts", "base-image.sh");
  if (!existsSync(script)) {
    throw new VMError("NOT_FOUND", `no base image: ${script} is missing; pass --image or set VM_BASE_IMAGE`, { operation: "cli" });
  }
  const stdout = await new Promise<string>((resolveRun, reject) => {
    const child = execFile("bash", [script], { cwd: root, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 }, (err, out) => {
      if (err) reject(new VMError("UNAVAILABLE", `scripts/base-image.sh failed (${err.message.split("\n")[0] ?? ""}); see its output above`, { operation: "cli", cause: err }));
      else resolveRun(out);
    });
    child.stderr?.pipe(process.stderr);
  });
  const image = stdout
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .pop();
  if (!image) throw new VMError("INTERNAL", "scripts/base-image.sh printed no image reference", { operation: "cli" });
  return image;
}
