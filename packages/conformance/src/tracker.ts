import type { VMProvider } from "@vm/core";
import { isVMError } from "@vm/provider-kit";
import type { ResourceTracker } from "./types.js";

interface Entry {
  description: string;
  dispose: () => Promise<void>;
}

async function ignoreNotFound(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (isVMError(err) && err.code === "NOT_FOUND") return;
    throw err;
  }
}

/**
 * A tracker that removes instances (`terminate`) and snapshots (`delete`) of `provider` in
 * reverse order of registration. `NOT_FOUND` counts as already removed; every other failure
 * is collected and returned, and the remaining steps still run.
 */
export function createResourceTracker(provider: VMProvider): ResourceTracker {
  const entries: Entry[] = [];
  return {
    instance(instanceId) {
      entries.push({ description: `instance ${instanceId}`, dispose: () => ignoreNotFound(() => provider.instances.terminate(instanceId)) });
    },
    snapshot(snapshotId) {
      entries.push({ description: `snapshot ${snapshotId}`, dispose: () => ignoreNotFound(() => provider.snapshots.delete(snapshotId)) });
    },
    add(description, dispose) {
      entries.push({ description, dispose: () => ignoreNotFound(dispose) });
    },
    pending() {
      return entries.map((e) => e.description);
    },
    async cleanup() {
      const errors: Error[] = [];
      for (let entry = entries.pop(); entry !== undefined; entry = entries.pop()) {
        try {
          await entry.dispose();
        } catch (err) {
          errors.push(new Error(`cleanup of ${entry.description} failed`, { cause: err }));
        }
      }
      return errors;
    },
  };
}
