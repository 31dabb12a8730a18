import type { VMProvider } from "@vm/core";
import { hasVMErrorCode, isVMError } from "@vm/provider-kit";

/**
 * What happened to one tracked resource during cleanup.
 *
 * @example
 * ```ts
 * import type { CleanupEntry } from "@vm/demo";
 * const failed = (entries: CleanupEntry[]) => entries.filter((e) => !e.ok);
 * ```
 */
export interface CleanupEntry {
  kind: "instance" | "snapshot";
  id: string;
  ok: boolean;
  /** `"removed"`, `"already-gone"` (NOT_FOUND: e.g. the TTL got there first) or `"failed"`. */
  outcome: "removed" | "already-gone" | "failed";
  durationMs: number;
  /** The error code and message when removal failed. */
  error?: { code: string; message: string };
}

/**
 * Everything the demo created, so that a failure, Ctrl-C or the last step can remove
 * exactly that (and nothing someone else made).
 *
 * @example
 * ```ts
 * import { createResourceTracker } from "@vm/demo";
 * const tracker = createResourceTracker();
 * tracker.addInstance("inst_1");
 * console.log(tracker.instances); // ["inst_1"]
 * ```
 */
export interface ResourceTracker {
  /** Tracked instance ids, in creation order. */
  readonly instances: readonly string[];
  /** Tracked snapshot ids, in creation order. */
  readonly snapshots: readonly string[];
  /** Every id ever tracked (also after cleanup), for reports and leak checks. */
  readonly created: { readonly instances: readonly string[]; readonly snapshots: readonly string[] };
  addInstance(id: string): void;
  addSnapshot(id: string): void;
  /**
   * Terminate tracked instances (newest first), then delete tracked snapshots (newest
   * first, retrying while an instance still holds one). Concurrent calls share one run;
   * removed resources are forgotten, so calling it again only retries what failed.
   */
  cleanup(provider: VMProvider): Promise<CleanupEntry[]>;
}

/** Options for `createResourceTracker()`. */
export interface ResourceTrackerOptions {
  /** How long to keep retrying a snapshot delete that answers CONFLICT (default 30 s). */
  conflictRetryMs?: number;
  /** Pause between those retries (default 500 ms). */
  retryDelayMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorInfo(err: unknown): { code: string; message: string } {
  if (isVMError(err)) return { code: err.code, message: err.message };
  return { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
}

/**
 * Creates an empty resource tracker.
 *
 * @example
 * ```ts
 * import type { VMProvider } from "@vm/core";
 * import { createResourceTracker } from "@vm/demo";
 * async function withCleanup(provider: VMProvider, snapshotId: string) {
 *   const tracker = createResourceTracker();
 *   try {
 *     const vm = await provider.instances.boot(snapshotId);
 *     tracker.addInstance(vm.id);
 *   } finally {
 *     await tracker.cleanup(provider);
 *   }
 * }
 * ```
 */
export function createResourceTracker(options: ResourceTrackerOptions = {}): ResourceTracker {
  const conflictRetryMs = options.conflictRetryMs ?? 30_000;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const instances: string[] = [];
  const snapshots: string[] = [];
  const created = { instances: [] as string[], snapshots: [] as string[] };
  let running: Promise<CleanupEntry[]> | undefined;

  async function removeInstance(provider: VMProvider, id: string): Promise<CleanupEntry> {
    const started = performance.now();
    try {
      await provider.instances.terminate(id);
      return { kind: "instance", id, ok: true, outcome: "removed", durationMs: performance.now() - started };
    } catch (err) {
      if (hasVMErrorCode(err, "NOT_FOUND")) {
        return { kind: "instance", id, ok: true, outcome: "already-gone", durationMs: performance.now() - started };
      }
      return { kind: "instance", id, ok: false, outcome: "failed", durationMs: performance.now() - started, error: errorInfo(err) };
    }
  }

  async function removeSnapshot(provider: VMProvider, id: string): Promise<CleanupEntry> {
    const started = performance.now();
    for (;;) {
      try {
        await provider.snapshots.delete(id);
        return { kind: "snapshot", id, ok: true, outcome: "removed", durationMs: performance.now() - started };
      } catch (err) {
        if (hasVMErrorCode(err, "NOT_FOUND")) {
          return { kind: "snapshot", id, ok: true, outcome: "already-gone", durationMs: performance.now() - started };
        }
        // A just-terminated instance may still hold the snapshot for a moment.
        if (hasVMErrorCode(err, "CONFLICT") && performance.now() - started < conflictRetryMs) {
          await sleep(retryDelayMs);
          continue;
        }
        return { kind: "snapshot", id, ok: false, outcome: "failed", durationMs: performance.now() - started, error: errorInfo(err) };
      }
    }
  }

  async function run(provider: VMProvider): Promise<CleanupEntry[]> {
    const entries: CleanupEntry[] = [];
    for (const id of [...instances].reverse()) {
      const entry = await removeInstance(provider, id);
      entries.push(entry);
      if (entry.ok) instances.splice(instances.indexOf(id), 1);
    }
    for (const id of [...snapshots].reverse()) {
      const entry = await removeSnapshot(provider, id);
      entries.push(entry);
      if (entry.ok) snapshots.splice(snapshots.indexOf(id), 1);
    }
    return entries;
  }

  return {
    instances,
    snapshots,
    created,
    addInstance(id) {
      if (!instances.includes(id)) instances.push(id);
      if (!created.instances.includes(id)) created.instances.push(id);
    },
    addSnapshot(id) {
      if (!snapshots.includes(id)) snapshots.push(id);
      if (!created.snapshots.includes(id)) created.snapshots.push(id);
    },
    cleanup(provider) {
      running ??= run(provider).finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
