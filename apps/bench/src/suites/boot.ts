import type { ExecResult, VMProvider } from "@vm/core";
import type { BenchContext } from "../context.js";
import { startRawContainer } from "../context.js";
import { rawExec } from "../docker-raw.js";
import type { CaseResult, Variant } from "../harness.js";
import { runCase } from "../harness.js";

/**
 * Boot to first exec: ours (`boot` + `exec true`) against raw dockerode (create + start + exec).
 * Removal is untimed and happens after each run's check.
 *
 * @example
 * ```ts
 * const result = await bootSuite(ctx, provider, snapshotId);
 * ```
 */
export async function bootSuite(ctx: BenchContext, provider: VMProvider | undefined, snapshotId: string | undefined): Promise<CaseResult> {
  const variants: Variant[] = [];
  if (provider && snapshotId) {
    let id: string | undefined;
    let result: ExecResult | undefined;
    variants.push({
      name: "ours: boot + exec",
      kind: "ours",
      run: async () => {
        const instance = await provider.instances.boot(snapshotId, { metadata: { bench: ctx.runId } });
        id = instance.id;
        result = await provider.instances.exec(instance.id, ["true"]);
      },
      verify: async () => {
        try {
          if (result?.exit_code !== 0) throw new Error(`first exec exited ${result?.exit_code}`);
        } finally {
          if (id) await provider.instances.terminate(id);
          id = undefined;
        }
      },
    });
  }
  let containerId: string | undefined;
  let exitCode = -1;
  variants.push({
    name: "raw dockerode create + start + exec",
    kind: "baseline",
    run: async () => {
      containerId = await startRawContainer(ctx);
      exitCode = (await rawExec(ctx.docker, containerId, ["true"])).exitCode;
    },
    verify: async () => {
      try {
        if (exitCode !== 0) throw new Error(`first exec exited ${exitCode}`);
      } finally {
        if (containerId) await ctx.docker.getContainer(containerId).remove({ force: true });
        containerId = undefined;
      }
    },
  });
  return runCase(
    {
      id: "boot.first-exec",
      group: "boot",
      title: "boot to first exec",
      metric: "latency",
      baseline: "raw dockerode create + start + exec",
      warmup: ctx.smoke ? 0 : 1,
      reps: ctx.smoke ? 1 : 8,
      variants,
    },
    ctx.log,
  );
}
