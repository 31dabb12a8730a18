import type { BootOptions, BootedInstance, CreateSnapshotOptions, ExecOptions, ExecResult, FromImageOptions, ProviderCapabilities, VMProvider, VMSnapshot } from "@vm/core";

/**
 * How binding a case is. `MUST` cases check the `@vm/core` contract: a provider that fails
 * one does not implement it. `SHOULD` cases check quality users rely on; failing one is a
 * defect, not a contract breach.
 *
 * @example
 * ```ts
 * import type { ConformanceLevel } from "@vm/conformance";
 * const level: ConformanceLevel = "MUST";
 * ```
 */
export type ConformanceLevel = "MUST" | "SHOULD";

/**
 * One capability name from `ProviderCapabilities`.
 *
 * @example
 * ```ts
 * import type { Capability } from "@vm/conformance";
 * const needs: Capability[] = ["fork", "snapshots"];
 * ```
 */
export type Capability = keyof ProviderCapabilities;

/**
 * What a provider author hands to `describeProviderConformance()`.
 *
 * @example
 * ```ts
 * import type { ConformanceTarget } from "@vm/conformance";
 * import type { VMProvider } from "@vm/core";
 * declare const provider: VMProvider;
 * const target: ConformanceTarget = {
 *   name: "my-vm",
 *   capabilities: provider.capabilities,
 *   async setup() {
 *     const snapshot = await provider.snapshots.fromImage("my-base-image");
 *     return { provider, snapshotId: snapshot.id, imageId: "my-base-image" };
 *   },
 * };
 * ```
 */
export interface ConformanceTarget {
  /** Provider name shown in test names and the report matrix, e.g. `"docker"`. */
  name: string;
  /** What the provider claims. Cases needing a capability declared `false` are visible skips. */
  capabilities: ProviderCapabilities;
  /**
   * Create the provider and a bootable snapshot. Called once, lazily, by the first case.
   * Give what you create `marker.metadata` (e.g. `fromImage(image, { metadata: marker.metadata })`)
   * and the end sweep removes it after the leak check.
   */
  setup(marker: ConformanceMarker): Promise<ConformanceSetup>;
  /** Extra cleanup of leftovers (e.g. engine-level resources) run by the start and end sweeps. */
  sweep?(provider: VMProvider, marker: ConformanceMarker): Promise<void>;
  /**
   * Backend-level leak check, run after the end sweep: describe everything carrying this run's
   * marker (`marker.run`) that still exists, including what the provider's own `list()` cannot
   * see. An empty array means clean.
   */
  leftovers?(provider: VMProvider, marker: ConformanceMarker): Promise<string[]>;
  /** Default per-case timeout in milliseconds (default 90 000). */
  caseTimeoutMs?: number;
}

/**
 * What `ConformanceTarget.setup()` returns.
 *
 * @example
 * ```ts
 * import type { ConformanceSetup } from "@vm/conformance";
 * import type { VMProvider } from "@vm/core";
 * declare const provider: VMProvider;
 * const setup: ConformanceSetup = { provider, snapshotId: "snap_123", teardown: async () => {} };
 * ```
 */
export interface ConformanceSetup {
  provider: VMProvider;
  /**
   * What every lifecycle case passes to `instances.boot()`, any number of times. With snapshots,
   * a ready snapshot; a provider without images or snapshots gives its own boot source (a
   * template name, a rootfs, a fixed id such as `"default"`).
   */
  snapshotId: string;
  /**
   * An image `snapshots.fromImage()` accepts. Leave it out for a provider without images: the
   * `fromImage` cases are then skipped (visibly) with the reason "target setup gave no imageId".
   */
  imageId?: string;
  /** Undo `setup()` (runs after the end sweep). */
  teardown?: () => Promise<void>;
}

/**
 * The metadata every instance and snapshot made by a run carries, so sweeps and the leak
 * check find exactly what the suite made.
 *
 * @example
 * ```ts
 * import type { ConformanceMarker } from "@vm/conformance";
 * const marker: ConformanceMarker = {
 *   target: "docker",
 *   run: "r1",
 *   metadata: { "vm-conformance": "docker", "vm-conformance-run": "r1", "vm-conformance-owner": "host:42" },
 * };
 * ```
 */
export interface ConformanceMarker {
  target: string;
  run: string;
  metadata: Readonly<Record<string, string>>;
}

/**
 * Everything a case may touch. Resources made through `boot`, `fork`, `createSnapshot` and
 * `fromImage` are tracked and removed (LIFO) after the case; anything made another way must
 * be registered with `track`.
 *
 * @example
 * ```ts
 * import type { CaseContext } from "@vm/conformance";
 * async function example(ctx: CaseContext) {
 *   const vm = await ctx.boot();
 *   const { stdout } = await ctx.provider.instances.exec(vm.id, ["echo", "hi"]);
 *   return stdout;
 * }
 * ```
 */
export interface CaseContext {
  readonly provider: VMProvider;
  readonly snapshotId: string;
  readonly imageId: string | undefined;
  /** Capabilities the target declared. */
  readonly capabilities: ProviderCapabilities;
  readonly marker: ConformanceMarker;
  /** The id of the case being run. */
  readonly caseId: string;
  readonly track: ResourceTracker;
  /** The service group's shared, ready instance (booted on first use, removed after the group). */
  sharedInstance(): Promise<string>;
  /**
   * A fresh directory `/tmp/vm-conformance-<run id>-<case id>-d-<hex>` in `instanceId` (default:
   * the shared instance), removed with `files.deleteDirectory` after the case.
   */
  scratchDir(instanceId?: string): Promise<string>;
  /** Boot a fresh instance carrying the run marker; it is terminated after the case. */
  boot(options?: BootOptions): Promise<BootedInstance>;
  /** Fork and track the children. */
  fork(instanceId: string, count: number): Promise<BootedInstance[]>;
  /** Create a snapshot carrying the run marker (plus `options.metadata`) and track it. */
  createSnapshot(instanceId: string, options?: CreateSnapshotOptions): Promise<VMSnapshot>;
  /** `snapshots.fromImage()` with the run marker, tracked. */
  fromImage(imageId: string, options?: FromImageOptions): Promise<VMSnapshot>;
  /** `bash -c script bash ...args` in the instance (user values go in `args`, never in `script`). */
  sh(instanceId: string, script: string, args?: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** A short random token for unique names. */
  unique(prefix?: string): string;
}

/**
 * One conformance check, as data.
 *
 * @example
 * ```ts
 * import type { ConformanceCase } from "@vm/conformance";
 * import { strict as assert } from "node:assert";
 * const echo: ConformanceCase = {
 *   id: "exec.echo",
 *   title: "echo prints its argument",
 *   level: "MUST",
 *   needs: [],
 *   async run(ctx) {
 *     const id = await ctx.sharedInstance();
 *     const result = await ctx.provider.instances.exec(id, ["echo", "hi"]);
 *     assert.equal(result.stdout, "hi\n");
 *   },
 * };
 * ```
 */
export interface ConformanceCase {
  /** Stable id, `<service>.<what>`; the report matrix is keyed by it. */
  id: string;
  title: string;
  level: ConformanceLevel;
  /** Capabilities the case needs; it is skipped, with the reason, when one is declared `false`. */
  needs: readonly Capability[];
  /** Run only when the provider declares these capabilities `false` (the UNSUPPORTED checks). */
  lacks?: readonly Capability[];
  /** Skip (visibly) when the target's setup gave no `imageId`. */
  needsImageId?: boolean;
  timeoutMs?: number;
  run(ctx: CaseContext): Promise<void>;
}

/**
 * Cases that share one booted instance.
 *
 * @example
 * ```ts
 * import type { CaseGroup } from "@vm/conformance";
 * const group: CaseGroup = { id: "exec", title: "Exec", cases: [] };
 * ```
 */
export interface CaseGroup {
  id: string;
  title: string;
  cases: readonly ConformanceCase[];
}

/**
 * Tracks what a case creates and removes it in reverse order; `NOT_FOUND` counts as removed.
 *
 * @example
 * ```ts
 * import type { ResourceTracker } from "@vm/conformance";
 * function remember(track: ResourceTracker, id: string) {
 *   track.instance(id);
 * }
 * ```
 */
export interface ResourceTracker {
  instance(instanceId: string): void;
  snapshot(snapshotId: string): void;
  /** Any other cleanup step, e.g. deleting a PM2 process. */
  add(description: string, dispose: () => Promise<void>): void;
  /** What is still registered, newest last. */
  pending(): string[];
  /** Remove everything, newest first. Resolves with the failures (NOT_FOUND is not one). */
  cleanup(): Promise<Error[]>;
}

/**
 * The outcome of one case, as the programmatic runner and the reporter see it.
 *
 * @example
 * ```ts
 * import type { CaseOutcome } from "@vm/conformance";
 * const failed = (outcomes: CaseOutcome[]) => outcomes.filter((o) => o.state === "fail").map((o) => o.id);
 * ```
 */
export interface CaseOutcome {
  id: string;
  title: string;
  level: ConformanceLevel;
  state: "pass" | "fail" | "skip";
  /** Skip reason or failure message. */
  detail?: string;
  error?: unknown;
  durationMs: number;
}
