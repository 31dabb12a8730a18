import { performance } from "node:perf_hooks";
import type { VMProvider } from "@vm/core";
import type { BenchContext } from "../context.js";
import { rawExec } from "../docker-raw.js";
import type { Summary } from "../stats.js";
import { summarize } from "../stats.js";
import type { Target } from "../target.js";
import { openTarget } from "../target.js";

/** One side of the scale test, over all its rounds. */
export interface ScaleVariant {
  name: string;
  kind: "ours" | "baseline";
  /** Execs per second, one value per round. */
  throughput: Summary;
  /** Latency of every single exec, pooled over rounds (ms). */
  latency: Summary;
  errors: number;
  errorSamples: string[];
  /** Client (this process) memory: peak RSS and peak heap growth over a round, MiB. */
  memory: { rssPeakMiB: number; heapGrowthPeakMiB: number };
}

export interface ScaleResult {
  instances: number;
  execs: number;
  rounds: number;
  variants: ScaleVariant[];
}

type OneExec = (target: Target, i: number) => Promise<void>;

async function round(targets: Target[], execs: number, one: OneExec) {
  const mib = (b: number) => b / 1048576;
  const heapBefore = process.memoryUsage().heapUsed;
  let rssPeak = process.memoryUsage().rss;
  let heapPeak = heapBefore;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
  }, 5);
  const latencies: number[] = [];
  const errors: string[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: execs }, async (_, i) => {
      const t0 = performance.now();
      try {
        await one(targets[i % targets.length]!, i);
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }),
  );
  const wall = performance.now() - start;
  clearInterval(sampler);
  const end = process.memoryUsage();
  rssPeak = Math.max(rssPeak, end.rss);
  heapPeak = Math.max(heapPeak, end.heapUsed);
  return { throughput: (execs - errors.length) / (wall / 1000), latencies, errors, rssPeakMiB: mib(rssPeak), heapGrowthMiB: mib(heapPeak - heapBefore) };
}

/**
 * 200 concurrent execs spread over 20 instances (smoke: 4 over 2): throughput, errors and client
 * memory, ours against raw dockerode on the same containers, rounds interleaved.
 *
 * @example
 * ```ts
 * const scale = await scaleSuite(ctx, provider, snapshotId);
 * ```
 */
export async function scaleSuite(ctx: BenchContext, provider: VMProvider | undefined, snapshotId: string | undefined): Promise<ScaleResult> {
  const instances = ctx.smoke ? 2 : 20;
  const execs = ctx.smoke ? 4 : 200;
  const rounds = ctx.smoke ? 1 : 2;
  const targets: Target[] = [];
  try {
    ctx.log(`scale: booting ${instances} instances`);
    // Boot in small batches: boot speed is not what this measures, and 2 cores choke on 20 at once.
    for (let i = 0; i < instances; i += 5) {
      const batch = await Promise.all(Array.from({ length: Math.min(5, instances - i) }, () => openTarget(ctx, provider, snapshotId)));
      targets.push(...batch);
    }
    const sides: { name: string; kind: "ours" | "baseline"; one: OneExec }[] = [];
    if (provider && snapshotId) {
      sides.push({
        name: "ours: instances.exec",
        kind: "ours",
        one: async (t, i) => {
          const r = await provider.instances.exec(t.instanceId!, ["echo", String(i)]);
          if (r.exit_code !== 0 || r.stdout !== `${i}\n`) throw new Error(`wrong result: exit ${r.exit_code}, stdout ${JSON.stringify(r.stdout.slice(0, 20))}`);
        },
      });
    }
    sides.push({
      name: "raw dockerode exec",
      kind: "baseline",
      one: async (t, i) => {
        const r = await rawExec(ctx.docker, t.containerId, ["echo", String(i)]);
        if (r.exitCode !== 0 || r.stdout.toString("utf8") !== `${i}\n`) throw new Error(`wrong result: exit ${r.exitCode}`);
      },
    });
    const collected = sides.map(() => ({ throughput: [] as number[], latencies: [] as number[], errors: [] as string[], rss: 0, heap: 0 }));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < sides.length; k++) {
        const index = (r + k) % sides.length;
        ctx.log(`scale: round ${r + 1}/${rounds} ${sides[index]!.name}`);
        const out = await round(targets, execs, sides[index]!.one);
        const c = collected[index]!;
        c.throughput.push(out.throughput);
        c.latencies.push(...out.latencies);
        c.errors.push(...out.errors);
        c.rss = Math.max(c.rss, out.rssPeakMiB);
        c.heap = Math.max(c.heap, out.heapGrowthMiB);
      }
    }
    return {
      instances,
      execs,
      rounds,
      variants: sides.map((s, i) => {
        const c = collected[i]!;
        return {
          name: s.name,
          kind: s.kind,
          throughput: summarize(c.throughput),
          latency: summarize(c.latencies),
          errors: c.errors.length,
          errorSamples: [...new Set(c.errors)].slice(0, 5),
          memory: { rssPeakMiB: c.rss, heapGrowthPeakMiB: c.heap },
        };
      }),
    };
  } finally {
    await Promise.allSettled(targets.map((t) => t.dispose()));
  }
}
