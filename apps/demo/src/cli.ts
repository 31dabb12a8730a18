import type { VMProvider } from "@vm/core";
import { isVMError } from "@vm/provider-kit";
import { USAGE, parseCliArgs, type CliOptions } from "./args.js";
import type { ProvisionOptions } from "./deploy/provision.js";
import { DEMO_METADATA_KEYS, DEPLOY_STEPS, deployApp, type DeployResult } from "./deploy-app.js";
import { explainError, type ExplainContext } from "./explain.js";
import { createProgressReporter, type ProgressReporter } from "./progress.js";
import { MORPH_DEFAULT_IMAGE, createProvider, resolveDockerBaseImage } from "./providers.js";
import { demoProvision, pm2DirectoryFor } from "./provisioning.js";
import { formatDuration, renderSummary } from "./render.js";
import { createResourceTracker } from "./tracker.js";

/**
 * The process pieces the CLI uses, so tests can run it in-process.
 *
 * @example
 * ```ts
 * import type { CliIO } from "@vm/demo";
 * const io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process };
 * ```
 */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Where SIGINT/SIGTERM handlers are installed (normally `process`). */
  signals: Pick<NodeJS.Process, "on" | "off">;
}

/** Exit codes: see `--help`. */
const EXIT = { ok: 0, failed: 1, setup: 2, SIGINT: 130, SIGTERM: 143 } as const;

/** Codes that mean "the setup is wrong", not "the demo found a bug". */
const SETUP_CODES = new Set(["UNAVAILABLE", "UNAUTHENTICATED", "PERMISSION_DENIED", "INVALID_ARGUMENT", "NOT_FOUND"]);

function randomRunId(): string {
  return `demo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Runs the demo CLI with `argv` (without `node` and the script) and resolves with the exit
 * code. It never throws: setup failures become one line on stderr (and a JSON error with
 * `--json`).
 *
 * @example
 * ```ts
 * import { runCli } from "@vm/demo";
 * const code = await runCli(["--json"]);
 * process.exitCode = code;
 * ```
 */
export async function runCli(
  argv: readonly string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process },
): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliArgs(argv);
  } catch (err) {
    io.stderr.write(`vm-demo: ${explainError(err, { provider: "docker" })}\n`);
    return EXIT.setup;
  }
  if (options.help) {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }

  const runId = randomRunId();
  const baseUrl = options.baseUrl ?? (io.env.MORPH_BASE_URL || undefined);
  const explainCtx: ExplainContext = baseUrl === undefined ? { provider: options.provider } : { provider: options.provider, baseUrl };
  const setupFailure = (err: unknown): number => {
    const line = explainError(err, explainCtx);
    io.stderr.write(`vm-demo: ${line}\n`);
    if (options.json) {
      const code = isVMError(err) ? err.code : "INTERNAL";
      io.stdout.write(`${JSON.stringify({ ok: false, provider: options.provider, runId, error: { code, message: line } }, null, 2)}\n`);
    }
    return EXIT.setup;
  };

  let provider: VMProvider;
  let imageId: string;
  let provision: ProvisionOptions | undefined;
  try {
    provider = await createProvider({
      provider: options.provider,
      runId,
      ...(io.env.MORPH_API_KEY ? { apiKey: io.env.MORPH_API_KEY } : {}),
      ...(baseUrl === undefined ? {} : { baseUrl }),
    });
    // One cheap call first: an engine that is down or a key that is wrong is reported
    // before anything is created (or an image is built).
    await provider.instances.list({ metadata: { [DEMO_METADATA_KEYS.run]: runId } });
    imageId = options.image ?? (options.provider === "docker" ? await resolveDockerBaseImage(io.env) : MORPH_DEFAULT_IMAGE);
    // Morph's minimal image has no Node and no PM2: step 1 installs them once (see --provision).
    const how = options.provision ?? (options.provider === "morph" ? "upload" : "none");
    if (how !== "none") provision = demoProvision(imageId, how, how === "upload" ? await pm2DirectoryFor(io.env, options.pm2Dir) : undefined);
  } catch (err) {
    return setupFailure(err);
  }

  const interactive = Boolean(io.stdout.isTTY && io.stderr.isTTY);
  const reporter: ProgressReporter = createProgressReporter({
    mode: options.json ? "json" : interactive ? "tty" : "plain",
    out: io.stdout,
    log: io.stderr,
    color: interactive && !io.env.NO_COLOR,
  });

  const tracker = createResourceTracker();
  const controller = new AbortController();
  let signalled: "SIGINT" | "SIGTERM" | undefined;
  const onSignal = (signal: "SIGINT" | "SIGTERM") => {
    if (signalled === undefined) {
      signalled = signal;
      reporter.line(`${options.json ? "[demo] " : ""}${signal}: stopping after the current operation, then removing everything this run created (again to force)`);
      controller.abort();
      return;
    }
    // A second signal: do not wait for the step in flight; remove what is known and go.
    reporter.line(`${options.json ? "[demo] " : ""}${signal} again: removing ${tracker.instances.length} instance(s) and ${tracker.snapshots.length} snapshot(s) now`);
    const exit = () => process.exit(EXIT[signalled ?? signal]);
    tracker.cleanup(provider).then(exit, exit);
  };
  const onSigint = () => onSignal("SIGINT");
  const onSigterm = () => onSignal("SIGTERM");
  io.signals.on("SIGINT", onSigint);
  io.signals.on("SIGTERM", onSigterm);

  let result: DeployResult;
  try {
    result = await deployApp(provider, {
      runId,
      ttlSeconds: options.ttlSeconds,
      imageId,
      ...(provision ? { provision } : {}),
      signal: controller.signal,
      tracker,
      onProgress: (event) => reporter.onProgress(event),
      afterStep: async (step) => {
        if (step.id !== options.pauseAfter || controller.signal.aborted) return;
        io.stderr.write(`[demo] paused after step ${step.step} (${step.id}); send SIGINT or SIGTERM to clean up and exit\n`);
        // A pending promise alone does not keep Node running: hold the event loop open.
        const keepAlive = setInterval(() => undefined, 60_000);
        await new Promise<void>((resume) => controller.signal.addEventListener("abort", () => resume(), { once: true }));
        clearInterval(keepAlive);
      },
    });
  } finally {
    reporter.stop();
    io.signals.off("SIGINT", onSigint);
    io.signals.off("SIGTERM", onSigterm);
  }

  const firstError = result.steps.find((s) => s.error && s.status === "failed")?.error;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    io.stdout.write(`\n${renderSummary(result.steps, result.durationMs).join("\n")}\n\n`);
    const checks = result.steps.flatMap((s) => s.checks);
    const held = checks.filter((c) => c.ok).length;
    if (result.ok) io.stdout.write(`All ${checks.length} checks held in ${formatDuration(result.durationMs)} on ${result.provider}. Nothing is left running.\n`);
    else if (result.interrupted) io.stdout.write(`Interrupted: ${held}/${checks.length} checks held; everything the run created was removed.\n`);
    else {
      const failed = result.steps.find((s) => s.status === "failed");
      io.stdout.write(`FAILED at step ${failed?.step ?? "?"}/${DEPLOY_STEPS.length} (${failed?.title ?? "?"}): ${held}/${checks.length} checks held.\n`);
    }
  }
  if (firstError && SETUP_CODES.has(firstError.code)) {
    io.stderr.write(`vm-demo: ${explainError({ name: "VMError", code: firstError.code, message: firstError.message }, explainCtx)}\n`);
  }
  if (signalled) return EXIT[signalled];
  return result.ok ? EXIT.ok : EXIT.failed;
}
