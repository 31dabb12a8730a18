import type { ExecResult, ProcessInfo, VMProvider } from "@vm/core";
import { VMError, hasVMErrorCode, isVMError } from "@vm/provider-kit";
import { formatBytes, renderTable } from "./render.js";
import { createResourceTracker, type CleanupEntry, type ResourceTracker } from "./tracker.js";
import { PROBE_SOURCE, SERVER_SOURCE } from "./vm-scripts.js";

/**
 * Stable ids of the nine steps, in order.
 *
 * @example
 * ```ts
 * import type { StepId } from "@vm/demo";
 * const last: StepId = "cleanup";
 * ```
 */
export type StepId =
  | "snapshot-base"
  | "boot"
  | "write-config"
  | "write-server"
  | "start-app"
  | "http-check"
  | "inspect"
  | "fork"
  | "cleanup";

/**
 * One step of the demo: its number (1-9), id and title.
 *
 * @example
 * ```ts
 * import type { StepDefinition } from "@vm/demo";
 * const label = (s: StepDefinition) => `${s.step}. ${s.title}`;
 * ```
 */
export interface StepDefinition {
  readonly step: number;
  readonly id: StepId;
  readonly title: string;
}

/**
 * The nine steps of `deployApp`, in order.
 *
 * @example
 * ```ts
 * import { DEPLOY_STEPS } from "@vm/demo";
 * console.log(DEPLOY_STEPS.map((s) => s.id).join(" -> "));
 * ```
 */
export const DEPLOY_STEPS: readonly StepDefinition[] = [
  { step: 1, id: "snapshot-base", title: "Snapshot the base image" },
  { step: 2, id: "boot", title: "Boot it with a TTL" },
  { step: 3, id: "write-config", title: "Write config.json atomically (mode 600)" },
  { step: 4, id: "write-server", title: "Write the Node HTTP server" },
  { step: 5, id: "start-app", title: "Start it with PM2 (cluster, 2 workers)" },
  { step: 6, id: "http-check", title: "HTTP request from inside the VM" },
  { step: 7, id: "inspect", title: "Process list and last log lines" },
  { step: 8, id: "fork", title: "Snapshot, fork twice, reconfigure each fork" },
  { step: 9, id: "cleanup", title: "Terminate everything" },
];

/**
 * One verified fact: a check either held or it did not.
 *
 * @example
 * ```ts
 * import type { StepCheck } from "@vm/demo";
 * const check: StepCheck = { name: "config mode is 600", ok: true, detail: "600" };
 * ```
 */
export interface StepCheck {
  name: string;
  ok: boolean;
  /** What was actually seen. */
  detail?: string;
}

/**
 * The outcome of one step. `ok` is true only when the step ran and every check held.
 *
 * @example
 * ```ts
 * import type { StepResult } from "@vm/demo";
 * const failedChecks = (r: StepResult) => r.checks.filter((c) => !c.ok).map((c) => c.name);
 * ```
 */
export interface StepResult {
  step: number;
  id: StepId;
  title: string;
  ok: boolean;
  /** `skipped`: an earlier step failed or the run was interrupted before this one. */
  status: "ok" | "failed" | "interrupted" | "skipped";
  durationMs: number;
  checks: StepCheck[];
  /** Machine-readable facts (ids, responses, process lists). Never env values. */
  details: Record<string, unknown>;
  /** Human-readable lines to show under the step (process table, log lines, responses). */
  output: string[];
  error?: { code: string; message: string };
}

/**
 * Everything `deployApp` did.
 *
 * @example
 * ```ts
 * import type { DeployResult } from "@vm/demo";
 * const summary = (r: DeployResult) => `${r.provider}: ${r.ok ? "all checks held" : "failed"} in ${r.durationMs} ms`;
 * ```
 */
export interface DeployResult {
  ok: boolean;
  provider: string;
  runId: string;
  imageId?: string;
  interrupted: boolean;
  durationMs: number;
  steps: StepResult[];
  /** Every instance and snapshot the run created (all removed by step 9 when it is ok). */
  created: { instances: string[]; snapshots: string[] };
}

/**
 * Progress events, in order: `run-start`, then per step `step-start`, any number of
 * `step-update`, `step-end`.
 *
 * @example
 * ```ts
 * import type { DeployProgress } from "@vm/demo";
 * const log = (e: DeployProgress) => { if (e.type === "step-end") console.log(e.result.title, e.result.durationMs); };
 * ```
 */
export type DeployProgress =
  | { type: "run-start"; runId: string; provider: string; totalSteps: number }
  | { type: "step-start"; step: StepDefinition }
  | { type: "step-update"; step: StepDefinition; message: string }
  | { type: "step-end"; result: StepResult };

/**
 * Options for `deployApp()`. Only plain values: everything VM-related goes through the provider.
 *
 * @example
 * ```ts
 * import type { DeployAppOptions } from "@vm/demo";
 * const options: DeployAppOptions = { imageId: "vm-base:latest", ttlSeconds: 600, onProgress: console.log };
 * ```
 */
export interface DeployAppOptions {
  /** Image to snapshot in step 1; default: the first of `provider.images.list()`. */
  imageId?: string;
  /** TTL of the booted instance (terminate when it runs out); default 600. */
  ttlSeconds?: number;
  /** Port the app listens on inside the VM; default 3000. */
  port?: number;
  /** Tags every instance and snapshot (metadata `vm-demo-run`); default: random. */
  runId?: string;
  onProgress?: (event: DeployProgress) => void;
  /** Awaited after each successful step (the CLI's `--pause-after` test hook uses it). */
  afterStep?: (result: StepResult) => Promise<void> | void;
  /** Aborting stops after the operation in flight, then step 9 removes what was created. */
  signal?: AbortSignal;
  /** Pass one in to see (and clean up) what the run created from outside. */
  tracker?: ResourceTracker;
  /** Deadline for each command run in the VM; default 120 s. */
  execTimeoutMs?: number;
  /** How long to wait for the app to answer after (re)starts; default 60 s. */
  serveTimeoutMs?: number;
}

/**
 * Metadata keys the demo puts on everything it creates.
 *
 * @example
 * ```ts
 * import { DEMO_METADATA_KEYS } from "@vm/demo";
 * const filters = { metadata: { [DEMO_METADATA_KEYS.run]: "demo-abc" } };
 * ```
 */
export const DEMO_METADATA_KEYS = { app: "app", run: "vm-demo-run" } as const;

const APP_NAME = "demo-app";
const APP_DIR = "/app";
const CONFIG_PATH = "/app/config.json";
const SERVER_PATH = "/app/server.js";
const WORKERS = 2;

interface AppConfig {
  name: string;
  message: string;
  runId: string;
}

interface ProbeResponse {
  status: number;
  body: { message?: string; name?: string; worker?: string; pid?: number; appEnv?: string };
}

interface ProbeResult {
  ok: boolean;
  attempts: number;
  waitedMs: number;
  responses: ProbeResponse[];
  error?: string;
}

interface StepContext {
  check(name: string, ok: boolean, detail?: string): boolean;
  detail(key: string, value: unknown): void;
  print(...lines: string[]): void;
  update(message: string): void;
}

function randomRunId(): string {
  return `demo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

function errorInfo(err: unknown): { code: string; message: string } {
  if (isVMError(err)) return { code: err.code, message: err.message };
  return { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
}

function abortedError(): VMError {
  return new VMError("ABORTED", "the demo was interrupted", { operation: "deployApp" });
}

function tail(text: string, lines: number): string[] {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .slice(-lines);
}

function renderProcesses(list: readonly ProcessInfo[]): string[] {
  return renderTable(
    ["name", "pm2 id", "worker", "mode", "status", "pid", "restarts", "memory"],
    list.map((p) => [p.name, String(p.id), String(p.instance), p.exec_mode, p.status, String(p.pid ?? "-"), String(p.restarts), formatBytes(p.memory)]),
  );
}

/**
 * Deploys a small Node app into a VM on any provider and proves every step: snapshot the
 * base image, boot with a TTL, write the config atomically, start the app with PM2 in
 * cluster mode, request it from inside the VM, show processes and logs, snapshot and fork
 * it twice with a different config per fork, and terminate everything. It never throws
 * for a failed step: the failure is in the result, and step 9 always removes what the run
 * created.
 *
 * @example
 * ```ts
 * import type { VMProvider } from "@vm/core";
 * import { deployApp } from "@vm/demo";
 * async function demo(provider: VMProvider) {
 *   const result = await deployApp(provider, { imageId: "vm-base:latest" });
 *   for (const step of result.steps) console.log(step.step, step.title, step.ok, step.durationMs);
 *   return result.ok;
 * }
 * ```
 */
export async function deployApp(provider: VMProvider, options: DeployAppOptions = {}): Promise<DeployResult> {
  const runId = options.runId ?? randomRunId();
  const ttlSeconds = options.ttlSeconds ?? 600;
  const port = options.port ?? 3000;
  const execTimeoutMs = options.execTimeoutMs ?? 120_000;
  const serveTimeoutMs = options.serveTimeoutMs ?? 60_000;
  const tracker = options.tracker ?? createResourceTracker();
  const signal = options.signal;
  const metadata = { [DEMO_METADATA_KEYS.app]: "vm-demo", [DEMO_METADATA_KEYS.run]: runId };
  const emit = (event: DeployProgress) => options.onProgress?.(event);
  const started = performance.now();
  const results: StepResult[] = [];
  let imageId = options.imageId;
  let interrupted = false;

  // Filled in by the steps, read by later ones.
  let baseSnapshotId = "";
  let instanceId = "";

  const throwIfAborted = () => {
    if (signal?.aborted) throw abortedError();
  };

  const exec = (id: string, argv: readonly string[]): Promise<ExecResult> =>
    provider.instances.exec(id, argv, signal ? { timeoutMs: execTimeoutMs, signal } : { timeoutMs: execTimeoutMs });

  async function probe(id: string, wantWorkers: number, expectMessage?: string): Promise<ProbeResult> {
    const argv = ["node", "-e", PROBE_SOURCE, String(port), "6", String(wantWorkers), String(serveTimeoutMs)];
    if (expectMessage !== undefined) argv.push(expectMessage);
    const result = await exec(id, argv);
    const last = tail(result.stdout, 1)[0];
    try {
      return JSON.parse(last ?? "") as ProbeResult;
    } catch {
      return { ok: false, attempts: 0, waitedMs: 0, responses: [], error: `probe exited ${result.exit_code}: ${tail(result.stderr, 3).join(" | ")}` };
    }
  }

  function responseLines(result: ProbeResult): string[] {
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const response of result.responses) {
      const worker = response.body.worker ?? "?";
      if (seen.has(worker)) continue;
      seen.add(worker);
      lines.push(`GET http://127.0.0.1:${port}/ -> ${response.status} ${JSON.stringify(response.body)}`);
    }
    return lines;
  }

  function writeConfig(id: string, config: AppConfig): Promise<void> {
    return provider.files.writeFileAtomic(id, CONFIG_PATH, `${JSON.stringify(config, null, 2)}\n`, { createDirs: true, mode: "600" });
  }

  async function statMode(id: string, path: string): Promise<string> {
    const result = await exec(id, ["stat", "-c", "%a", path]);
    return result.exit_code === 0 ? result.stdout.trim() : `stat exited ${result.exit_code}`;
  }

  async function runStep(definition: StepDefinition, body: (ctx: StepContext) => Promise<void>): Promise<StepResult> {
    emit({ type: "step-start", step: definition });
    const stepStarted = performance.now();
    const result: StepResult = { ...definition, ok: false, status: "failed", durationMs: 0, checks: [], details: {}, output: [] };
    const ctx: StepContext = {
      check(name, ok, detail) {
        result.checks.push(detail === undefined ? { name, ok } : { name, ok, detail });
        return ok;
      },
      detail(key, value) {
        result.details[key] = value;
      },
      print(...lines) {
        result.output.push(...lines);
      },
      update(message) {
        emit({ type: "step-update", step: definition, message });
      },
    };
    try {
      await body(ctx);
      result.ok = result.checks.length > 0 && result.checks.every((c) => c.ok);
      result.status = result.ok ? "ok" : "failed";
    } catch (err) {
      result.error = errorInfo(err);
      if (hasVMErrorCode(err, "ABORTED") || signal?.aborted) {
        interrupted = true;
        result.status = "interrupted";
      }
    }
    result.durationMs = Math.round(performance.now() - stepStarted);
    results.push(result);
    emit({ type: "step-end", result });
    return result;
  }

  const bodies: Record<Exclude<StepId, "cleanup">, (ctx: StepContext) => Promise<void>> = {
    async "snapshot-base"(ctx) {
      if (imageId === undefined) {
        ctx.update("no image given: asking the provider for its images");
        const images = await provider.images.list();
        imageId = images[0]?.id;
        if (imageId === undefined) throw new VMError("INVALID_ARGUMENT", "the provider lists no images: pass an image id", { operation: "deployApp" });
      }
      ctx.update(`snapshots.fromImage(${imageId})`);
      const snapshot = await provider.snapshots.fromImage(imageId, { metadata });
      tracker.addSnapshot(snapshot.id);
      baseSnapshotId = snapshot.id;
      ctx.detail("imageId", imageId);
      ctx.detail("snapshotId", snapshot.id);
      ctx.check("snapshot is ready", snapshot.status === "ready", `status ${snapshot.status}`);
      ctx.print(`image ${imageId} -> snapshot ${snapshot.id}`);
    },

    async boot(ctx) {
      ctx.update(`instances.boot(${baseSnapshotId}, ttl ${ttlSeconds} s)`);
      const vm = await provider.instances.boot(baseSnapshotId, {
        ttl_seconds: ttlSeconds,
        ttl_action: "terminate",
        metadata,
        timeoutMs: 180_000,
        ...(signal ? { signal } : {}),
      });
      tracker.addInstance(vm.id);
      instanceId = vm.id;
      ctx.detail("instanceId", vm.id);
      ctx.check("instance is ready", vm.status === "ready", `status ${vm.status}`);
      const info = await provider.instances.get(vm.id);
      ctx.detail("ttl", info.ttl ?? null);
      if (provider.capabilities.ttl) {
        ctx.check(
          `TTL is ${ttlSeconds} s, then terminate`,
          info.ttl?.seconds === ttlSeconds && info.ttl.action === "terminate",
          JSON.stringify(info.ttl ?? null),
        );
      }
      ctx.check("run metadata is on the instance", info.metadata?.[DEMO_METADATA_KEYS.run] === runId, JSON.stringify(info.metadata ?? null));
      const node = await exec(vm.id, ["node", "--version"]);
      ctx.detail("nodeVersion", node.stdout.trim());
      ctx.check("node runs in the VM", node.exit_code === 0 && node.stdout.startsWith("v"), node.stdout.trim() || `exit ${node.exit_code}`);
      ctx.print(`instance ${vm.id} is ${vm.status}; TTL ${ttlSeconds} s (terminate); node ${node.stdout.trim()}`);
    },

    async "write-config"(ctx) {
      const dirExisted = await provider.files.fileExists(instanceId, APP_DIR);
      const config: AppConfig = { name: "vm-demo", message: "Hello from the parent VM", runId };
      ctx.update(`files.writeFileAtomic(${CONFIG_PATH}, { createDirs: true, mode: "600" })`);
      await writeConfig(instanceId, config);
      ctx.detail("path", CONFIG_PATH);
      ctx.detail("config", config);
      ctx.check(`${APP_DIR} is a directory (createDirs)`, await provider.files.isDirectory(instanceId, APP_DIR), dirExisted ? "existed before" : "created by createDirs");
      const mode = await statMode(instanceId, CONFIG_PATH);
      ctx.detail("mode", mode);
      ctx.check("mode is 600 (checked with stat in the VM)", mode === "600", mode);
      const readBack = await provider.files.readFile(instanceId, CONFIG_PATH);
      ctx.check("content reads back", readBack === `${JSON.stringify(config, null, 2)}\n`);
      const entries = (await provider.files.listDirectory(instanceId, APP_DIR)).map((e) => e.name);
      ctx.check("no temporary file left beside it", entries.length === 1 && entries[0] === "config.json", entries.join(", "));
      ctx.print(`${CONFIG_PATH} (mode ${mode}): ${JSON.stringify(config)}`);
    },

    async "write-server"(ctx) {
      ctx.update(`files.writeFileAtomic(${SERVER_PATH})`);
      await provider.files.writeFileAtomic(instanceId, SERVER_PATH, SERVER_SOURCE, { mode: "644" });
      ctx.detail("path", SERVER_PATH);
      ctx.detail("bytes", Buffer.byteLength(SERVER_SOURCE));
      ctx.check("content reads back", (await provider.files.readFile(instanceId, SERVER_PATH)) === SERVER_SOURCE);
      const syntax = await exec(instanceId, ["node", "--check", SERVER_PATH]);
      ctx.check("node --check accepts it", syntax.exit_code === 0, tail(syntax.stderr, 2).join(" | ") || "exit 0");
      ctx.print(`${SERVER_PATH}: ${Buffer.byteLength(SERVER_SOURCE)} bytes, reads ${CONFIG_PATH} at start-up`);
    },

    async "start-app"(ctx) {
      const config = provider.processes
        .createProcess(APP_NAME)
        .script(SERVER_PATH)
        .cwd(APP_DIR)
        .env({ PORT: String(port), CONFIG_PATH, APP_ENV: "demo" })
        .instances(WORKERS)
        .execMode("cluster")
        .build();
      // Env names only: values are for the app, not for logs.
      ctx.detail("config", { ...config, env: Object.keys(config.env ?? {}) });
      ctx.update(`processes.start(${config.script}, cluster x${WORKERS})`);
      const workers = await provider.processes.start(instanceId, config.script, config);
      ctx.detail("workers", workers);
      ctx.check(`${WORKERS} workers started`, workers.length === WORKERS, `${workers.length} workers`);
      ctx.check("all in cluster mode", workers.length > 0 && workers.every((w) => w.exec_mode === "cluster"), workers.map((w) => w.exec_mode).join(", "));
      ctx.print(`pm2 start ${SERVER_PATH} --name ${APP_NAME} -i ${WORKERS} (env PORT, CONFIG_PATH, APP_ENV)`);
    },

    async "http-check"(ctx) {
      ctx.update(`node -e "http.get('http://127.0.0.1:${port}/')" in the VM, until both workers answer`);
      const result = await probe(instanceId, WORKERS);
      ctx.detail("probe", result);
      const messages = new Set(result.responses.map((r) => r.body.message));
      const workers = new Set(result.responses.map((r) => r.body.worker));
      ctx.check("the app answers over HTTP inside the VM", result.ok, result.error ?? `${result.attempts} attempt(s), ${result.waitedMs} ms`);
      ctx.check("every answer is HTTP 200", result.responses.length > 0 && result.responses.every((r) => r.status === 200));
      ctx.check("it serves the config's message", messages.size === 1 && messages.has("Hello from the parent VM"), [...messages].join(", "));
      ctx.check("the env reached the app", result.responses.length > 0 && result.responses.every((r) => r.body.appEnv === "demo"));
      ctx.check(`${WORKERS} cluster workers answered`, workers.size === WORKERS, [...workers].join(", "));
      ctx.print(...responseLines(result));
    },

    async inspect(ctx) {
      const list = await provider.processes.list(instanceId);
      const app = list.filter((p) => p.name === APP_NAME);
      ctx.detail("processes", list);
      ctx.check(`${WORKERS} ${APP_NAME} workers online`, app.length === WORKERS && app.every((p) => p.status === "online"), app.map((p) => p.status).join(", "));
      const logs = await provider.processes.logs(instanceId, APP_NAME, 10);
      const outLines = tail(logs.out, 10);
      ctx.detail("logs", { out: outLines, err: tail(logs.err, 10) });
      ctx.check("logs show the workers serving", outLines.some((line) => line.includes("serving")), `${outLines.length} stdout line(s)`);
      ctx.print(...renderProcesses(list), `last log lines (${APP_NAME}):`, ...outLines.map((line) => `  | ${line}`));
    },

    async fork(ctx) {
      ctx.update(`snapshots.create(${instanceId})`);
      const snapshot = await provider.snapshots.create(instanceId, { metadata });
      tracker.addSnapshot(snapshot.id);
      ctx.detail("snapshotId", snapshot.id);
      ctx.check("snapshot of the running app is ready", snapshot.status === "ready", `status ${snapshot.status}`);
      ctx.print(`snapshot ${snapshot.id} (${snapshot.status})`);
      throwIfAborted();

      ctx.update(`instances.fork(${instanceId}, 2)`);
      const forks = await provider.instances.fork(instanceId, 2);
      for (const f of forks) tracker.addInstance(f.id);
      // Forking may leave a snapshot behind (Morph's branch does): it is this run's too, so
      // step 9 deletes it after the forks (a provider that already removed it answers NOT_FOUND).
      const forkSnapshots = [...new Set(forks.map((f) => f.snapshot_id).filter((id): id is string => id !== undefined && id !== baseSnapshotId && id !== snapshot.id))];
      for (const id of forkSnapshots) tracker.addSnapshot(id);
      ctx.detail("forkSnapshots", forkSnapshots);
      ctx.detail(
        "forks",
        forks.map((f) => f.id),
      );
      const ids = new Set(forks.map((f) => f.id));
      ctx.check("two independent forks", forks.length === 2 && ids.size === 2 && !ids.has(instanceId), forks.map((f) => f.id).join(", "));
      throwIfAborted();

      const perFork: Record<string, unknown>[] = [];
      for (const [index, fork] of forks.entries()) {
        const label = `fork ${index + 1}`;
        ctx.update(`${label}: check PM2 came along, write its config, restart`);
        const carried = (await provider.processes.list(fork.id)).filter((p) => p.name === APP_NAME);
        ctx.check(`${label} carries the PM2 app`, carried.length === WORKERS, `${carried.length} worker(s): ${carried.map((p) => p.status).join(", ")}`);
        const config: AppConfig = { name: "vm-demo", message: `Hello from ${label}`, runId };
        await writeConfig(fork.id, config);
        const mode = await statMode(fork.id, CONFIG_PATH);
        ctx.check(`${label} config rewritten with mode 600`, mode === "600", mode);
        await provider.processes.restart(fork.id, APP_NAME);
        throwIfAborted();
        ctx.update(`${label}: HTTP request inside the fork`);
        const result = await probe(fork.id, WORKERS, config.message);
        const messages = [...new Set(result.responses.map((r) => r.body.message))];
        ctx.check(`${label} serves its own message`, result.ok && messages.length === 1 && messages[0] === config.message, result.error ?? messages.join(", "));
        perFork.push({ id: fork.id, message: config.message, probe: result });
        ctx.print(`${label} ${fork.id}:`, ...responseLines(result).map((line) => `  ${line}`));
        throwIfAborted();
      }
      ctx.detail("perFork", perFork);

      ctx.update("the parent still serves its own message");
      const parent = await probe(instanceId, 1, "Hello from the parent VM");
      ctx.check("the parent is unchanged by its forks", parent.ok, parent.error ?? `${parent.responses.length} answers`);
      ctx.print(`parent ${instanceId}:`, ...responseLines(parent).map((line) => `  ${line}`));
    },
  };

  emit({ type: "run-start", runId, provider: provider.name, totalSteps: DEPLOY_STEPS.length });

  let stopped = false;
  for (const definition of DEPLOY_STEPS) {
    if (definition.id === "cleanup") break;
    if (stopped || signal?.aborted) {
      if (signal?.aborted) interrupted = true;
      results.push({ ...definition, ok: false, status: "skipped", durationMs: 0, checks: [], details: {}, output: [] });
      continue;
    }
    const result = await runStep(definition, bodies[definition.id]);
    if (!result.ok) {
      stopped = true;
      continue;
    }
    try {
      await options.afterStep?.(result);
    } catch {
      // The hook only waits (for an interrupt); whatever it throws, cleanup still runs.
    }
  }

  // An interrupt during the last step's afterStep hook (a pause) has no later step to notice it.
  if (signal?.aborted) interrupted = true;
  const cleanupStep = DEPLOY_STEPS[DEPLOY_STEPS.length - 1] as StepDefinition;
  await runStep(cleanupStep, async (ctx) => {
    ctx.update(`removing ${tracker.instances.length} instance(s) and ${tracker.snapshots.length} snapshot(s)`);
    const entries: CleanupEntry[] = await tracker.cleanup(provider);
    ctx.detail("removed", entries);
    for (const entry of entries) {
      ctx.check(`${entry.kind} ${entry.id} removed`, entry.ok, entry.error ? `${entry.error.code}: ${entry.error.message}` : entry.outcome);
    }
    ctx.print(...entries.map((e) => `${e.ok ? "removed" : "FAILED "} ${e.kind} ${e.id}${e.outcome === "already-gone" ? " (already gone)" : ""}`));

    // Prove it: nothing the run created still answers, and nothing carries its metadata.
    for (const id of tracker.created.instances) {
      const gone = await provider.instances.get(id).then(
        (vm) => `still there (${vm.status})`,
        (err: unknown) => (hasVMErrorCode(err, "NOT_FOUND") ? "NOT_FOUND" : `${errorInfo(err).code}`),
      );
      ctx.check(`instance ${id} is gone`, gone === "NOT_FOUND", gone);
    }
    for (const id of tracker.created.snapshots) {
      const gone = await provider.snapshots.get(id).then(
        (s) => `still there (${s.status})`,
        (err: unknown) => (hasVMErrorCode(err, "NOT_FOUND") ? "NOT_FOUND" : `${errorInfo(err).code}`),
      );
      ctx.check(`snapshot ${id} is gone`, gone === "NOT_FOUND", gone);
    }
    // A boot interrupted mid-way may have made an instance the tracker never saw.
    const mine = async () =>
      (await provider.instances.list({ metadata: { [DEMO_METADATA_KEYS.run]: runId } })).filter(
        // Filter again here: never terminate someone else's instance because a filter was ignored.
        (vm) => vm.metadata?.[DEMO_METADATA_KEYS.run] === runId,
      );
    const strays = await mine();
    for (const stray of strays) {
      ctx.update(`terminating untracked instance ${stray.id}`);
      tracker.addInstance(stray.id);
    }
    if (strays.length > 0) await tracker.cleanup(provider);
    const left = await mine();
    ctx.check("no instance with this run's metadata is left", left.length === 0, left.map((vm) => vm.id).join(", ") || "none");
    ctx.detail("strays", strays.map((vm) => vm.id));
    if (strays.length > 0) ctx.print(`also removed ${strays.length} untracked instance(s): ${strays.map((vm) => vm.id).join(", ")}`);
  });

  return {
    // An interrupted run is never a success, even when the interrupt came after the last step.
    ok: !interrupted && results.length === DEPLOY_STEPS.length && results.every((r) => r.ok),
    provider: provider.name,
    runId,
    ...(imageId === undefined ? {} : { imageId }),
    interrupted,
    durationMs: Math.round(performance.now() - started),
    steps: results,
    created: { instances: [...tracker.created.instances], snapshots: [...tracker.created.snapshots] },
  };
}
