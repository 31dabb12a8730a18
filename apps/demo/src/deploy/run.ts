import type { ExecResult, VMProvider } from "@vm/core";
import { VMError, isVMError } from "@vm/provider-kit";
import { createResourceTracker, type ResourceTracker } from "../tracker.js";
import { PROBE_SOURCE } from "../vm-scripts.js";
import type { ProvisionOptions } from "./provision.js";
import { DEMO_METADATA_KEYS, type DeployAppOptions } from "./types.js";

/** The app's PM2 name, where it lives in the VM, and how many cluster workers it runs. */
export const APP_NAME = "demo-app";
export const APP_DIR = "/app";
export const CONFIG_PATH = `${APP_DIR}/config.json`;
export const SERVER_PATH = `${APP_DIR}/server.js`;
export const WORKERS = 2;

/** What the app reads from config.json. */
export interface AppConfig {
  name: string;
  message: string;
  runId: string;
}

interface ProbeResponse {
  status: number;
  body: { message?: string; name?: string; worker?: string; pid?: number; appEnv?: string };
}

/** What the probe script (run in the VM) prints as its last line. */
export interface ProbeResult {
  ok: boolean;
  attempts: number;
  waitedMs: number;
  responses: ProbeResponse[];
  error?: string;
}

/** What the steps fill in for later ones. */
export interface DeployState {
  imageId: string | undefined;
  baseSnapshotId: string;
  instanceId: string;
}

/** One run of `deployApp`: its resolved options, and the state its steps share. */
export interface DeployRun {
  readonly provider: VMProvider;
  readonly runId: string;
  readonly ttlSeconds: number;
  readonly port: number;
  readonly execTimeoutMs: number;
  readonly serveTimeoutMs: number;
  readonly tracker: ResourceTracker;
  readonly signal: AbortSignal | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly provision: ProvisionOptions | undefined;
  readonly state: DeployState;
}

function randomRunId(): string {
  return `demo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Resolves `deployApp`'s options (their defaults) into one run. */
export function createDeployRun(provider: VMProvider, options: DeployAppOptions): DeployRun {
  const runId = options.runId ?? randomRunId();
  return {
    provider,
    runId,
    ttlSeconds: options.ttlSeconds ?? 600,
    port: options.port ?? 3000,
    execTimeoutMs: options.execTimeoutMs ?? 120_000,
    serveTimeoutMs: options.serveTimeoutMs ?? 60_000,
    tracker: options.tracker ?? createResourceTracker(),
    signal: options.signal,
    metadata: { [DEMO_METADATA_KEYS.app]: "vm-demo", [DEMO_METADATA_KEYS.run]: runId },
    provision: options.provision,
    state: { imageId: options.imageId, baseSnapshotId: "", instanceId: "" },
  };
}

export function errorInfo(err: unknown): { code: string; message: string } {
  if (isVMError(err)) return { code: err.code, message: err.message };
  return { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
}

export function throwIfAborted(run: DeployRun): void {
  if (run.signal?.aborted) throw new VMError("ABORTED", "the demo was interrupted", { operation: "deployApp" });
}

export function tail(text: string, lines: number): string[] {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .slice(-lines);
}

/** Runs a command in the VM with the run's deadline and signal. */
export function execIn(run: DeployRun, id: string, argv: readonly string[]): Promise<ExecResult> {
  const { signal, execTimeoutMs } = run;
  return run.provider.instances.exec(id, argv, signal ? { timeoutMs: execTimeoutMs, signal } : { timeoutMs: execTimeoutMs });
}

/** Requests the app from inside the VM until `wantWorkers` workers answered (with `expectMessage`, if given). */
export async function probe(run: DeployRun, id: string, wantWorkers: number, expectMessage?: string): Promise<ProbeResult> {
  const argv = ["node", "-e", PROBE_SOURCE, String(run.port), "6", String(wantWorkers), String(run.serveTimeoutMs)];
  if (expectMessage !== undefined) argv.push(expectMessage);
  const result = await execIn(run, id, argv);
  const last = tail(result.stdout, 1)[0];
  try {
    return JSON.parse(last ?? "") as ProbeResult;
  } catch {
    return { ok: false, attempts: 0, waitedMs: 0, responses: [], error: `probe exited ${result.exit_code}: ${tail(result.stderr, 3).join(" | ")}` };
  }
}

/** One line per worker that answered the probe. */
export function responseLines(run: DeployRun, result: ProbeResult): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const response of result.responses) {
    const worker = response.body.worker ?? "?";
    if (seen.has(worker)) continue;
    seen.add(worker);
    lines.push(`GET http://127.0.0.1:${run.port}/ -> ${response.status} ${JSON.stringify(response.body)}`);
  }
  return lines;
}

export function writeConfig(run: DeployRun, id: string, config: AppConfig): Promise<void> {
  return run.provider.files.writeFileAtomic(id, CONFIG_PATH, `${JSON.stringify(config, null, 2)}\n`, { createDirs: true, mode: "600" });
}

/** The file's mode as `stat` in the VM sees it. */
export async function statMode(run: DeployRun, id: string, path: string): Promise<string> {
  const result = await execIn(run, id, ["stat", "-c", "%a", path]);
  return result.exit_code === 0 ? result.stdout.trim() : `stat exited ${result.exit_code}`;
}
