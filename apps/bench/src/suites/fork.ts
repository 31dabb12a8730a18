import { randomUUID } from "node:crypto";
import type { BootedInstance, VMProvider } from "@vm/core";
import type { BenchContext } from "../context.js";
import type { CaseResult } from "../harness.js";
import { runCase } from "../harness.js";

/**
 * `fork(n)` for n = 1, 4, 16 (smoke: n = 1). Each fork must carry the parent's files: the check
 * reads a marker written into the parent before forking, in every copy.
 *
 * @example
 * ```ts
 * const cases = await forkSuite(ctx, provider, parentId);
 * ```
 */
export async function forkSuite(ctx: BenchContext, provider: VMProvider, parentId: string): Promise<CaseResult[]> {
  const marker = randomUUID();
  await provider.files.writeFileAtomic(parentId, "/bench/fork-marker", marker, { createDirs: true });
  const plan = ctx.smoke ? [{ n: 1, reps: 1 }] : [{ n: 1, reps: 3 }, { n: 4, reps: 2 }, { n: 16, reps: 1 }];
  const results: CaseResult[] = [];
  for (const { n, reps } of plan) {
    let forks: BootedInstance[] = [];
    ctx.log(`fork: n=${n}`);
    results.push(
      await runCase(
        {
          id: `fork.${n}`,
          group: "fork",
          title: `fork(${n})`,
          metric: "latency",
          warmup: 0,
          reps,
          timeoutMs: 600_000,
          variants: [
            {
              name: `ours: fork(${n})`,
              kind: "ours",
              run: async () => {
                forks = await provider.instances.fork(parentId, n);
              },
              verify: async () => {
                try {
                  if (forks.length !== n) throw new Error(`fork(${n}) returned ${forks.length} instances`);
                  const reads = await Promise.all(forks.map((f) => provider.files.readFile(f.id, "/bench/fork-marker")));
                  const wrong = reads.filter((r) => r !== marker).length;
                  if (wrong > 0) throw new Error(`${wrong} of ${n} forks lack the parent's file`);
                } finally {
                  await Promise.allSettled(forks.map((f) => provider.instances.terminate(f.id)));
                  forks = [];
                }
              },
            },
          ],
        },
        ctx.log,
      ),
    );
  }
  return results;
}
