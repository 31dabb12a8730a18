import type { ResourceTracker } from "../tracker.js";
import type { ProvisionOptions } from "./provision.js";

/**
 * Stable ids of the ten steps, in order.
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
  | "host-fetch"
  | "inspect"
  | "fork"
  | "cleanup";

/**
 * One step of the demo: its number (1-10), id and title.
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
 * The ten steps of `deployApp`, in order.
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
  { step: 7, id: "host-fetch", title: "HTTP request from this machine through the exposed URL" },
  { step: 8, id: "inspect", title: "Process list and last log lines" },
  { step: 9, id: "fork", title: "Snapshot, fork twice, reconfigure each fork" },
  { step: 10, id: "cleanup", title: "Terminate everything" },
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
  /** Every instance and snapshot the run created (all removed by step 10 when it is ok). */
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
  /**
   * Install Node and PM2 into the image in step 1 (for an image without them, e.g. Morph's
   * `morphvm-minimal`), once: the result is a snapshot named by `provision.digest` that later
   * runs reuse; default: none (the image has Node and PM2).
   */
  provision?: ProvisionOptions;
  /** TTL of the booted instance (terminate when it runs out); default 600. */
  ttlSeconds?: number;
  /** Port the app listens on inside the VM; default 3000. */
  port?: number;
  /** Tags every instance and snapshot (metadata `vm-demo-run`); default: random. */
  runId?: string;
  onProgress?: (event: DeployProgress) => void;
  /** Awaited after each successful step (the CLI's `--pause-after` test hook uses it). */
  afterStep?: (result: StepResult) => Promise<void> | void;
  /** Aborting stops after the operation in flight, then step 10 removes what was created. */
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
