import type { VMProvider } from "@vm/core";
import type { BenchContext } from "./context.js";
import { startRawContainer } from "./context.js";

/** Where one suite runs: a container for the raw baselines and, when a provider is there, the same machine as an instance. */
export interface Target {
  containerId: string;
  provider?: VMProvider;
  instanceId?: string;
  dispose: () => Promise<void>;
}

/** Find the Docker container behind a provider instance (the id itself, else the newest container of this run). */
async function containerOf(ctx: BenchContext, instanceId: string): Promise<string> {
  try {
    const info = await ctx.docker.getContainer(instanceId).inspect();
    return info.Id;
  } catch {
    const list = await ctx.docker.listContainers({ filters: { label: [`${Object.keys(ctx.labels)[0]}=${ctx.runId}`] } });
    const match = list.find((c) => Object.values(c.Labels).includes(instanceId)) ?? list.sort((a, b) => b.Created - a.Created)[0];
    if (!match) throw new Error(`no container found for instance ${instanceId}`);
    return match.Id;
  }
}

/**
 * One machine both sides use: booted through the provider when there is one (so ours and
 * the baselines touch the very same container), otherwise a raw container.
 *
 * @example
 * ```ts
 * const target = await openTarget(ctx, provider, snapshotId);
 * try { ... } finally { await target.dispose(); }
 * ```
 */
export async function openTarget(ctx: BenchContext, provider: VMProvider | undefined, snapshotId: string | undefined): Promise<Target> {
  if (provider && snapshotId) {
    const instance = await provider.instances.boot(snapshotId, { metadata: { bench: ctx.runId } });
    try {
      const containerId = await containerOf(ctx, instance.id);
      return {
        containerId,
        provider,
        instanceId: instance.id,
        dispose: () => provider.instances.terminate(instance.id),
      };
    } catch (err) {
      await provider.instances.terminate(instance.id);
      throw err;
    }
  }
  const containerId = await startRawContainer(ctx);
  return {
    containerId,
    dispose: async () => {
      await ctx.docker.getContainer(containerId).remove({ force: true });
    },
  };
}
