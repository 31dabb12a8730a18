import { performance } from "node:perf_hooks";
import type { CallCount } from "./counting.js";
import { requestCursor, requestsSince } from "./counting.js";
import type { Summary } from "./stats.js";
import { percentile, summarize } from "./stats.js";

/** What a `selfTimed` variant's `run` resolves to: the durations it measured itself, one per operation. */
export interface SelfTimed {
  samplesMs: number[];
}

/**
 * The samples a self-timed run reported; throws unless they are a non-empty list of finite,
 * non-negative milliseconds (a garbled report must fail the variant, not skew its numbers).
 *
 * @example
 * ```ts
 * selfTimedSamples({ samplesMs: [1.5, 2] }); // [1.5, 2]
 * ```
 */
export function selfTimedSamples(value: unknown): number[] {
  const samples = (value as Partial<SelfTimed> | null | undefined)?.samplesMs;
  if (!Array.isArray(samples) || samples.length === 0) throw new Error("a self-timed run reported no samples");
  for (const ms of samples) {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) throw new Error(`a self-timed run reported a bad sample: ${String(ms)}`);
  }
  return samples;
}

/** One way of doing an operation: ours, or a baseline. */
export interface Variant {
  name: string;
  kind: "ours" | "baseline";
  /** Failures are part of the finding (the design document's approach past the argv limit): recorded, not a harness error. */
  mayFail?: boolean;
  /** Untimed preparation before each run. */
  before?: () => Promise<void> | void;
  /** The timed operation. */
  run: () => Promise<unknown>;
  /**
   * The variant times itself: `run` resolves to a `SelfTimed` whose durations are the samples,
   * instead of the harness's clock around `run`. For work measured where it happens (requests
   * timed inside the VM), so the exec that carries the measurement is not counted.
   *
   * @default false
   */
  selfTimed?: boolean;
  /** Untimed correctness check after each run; throws on a wrong answer so a fast wrong answer cannot win. */
  verify?: () => Promise<void> | void;
  /** Requests are counted for in-process clients; a CLI's requests are invisible to us. */
  counted?: boolean;
}

/** One operation measured against its baselines. */
export interface CaseDef {
  id: string;
  group: string;
  title: string;
  /** `latency`: ratio = ours / baseline time (lower is better). `throughput`: ratio = ours / baseline bytes per second (higher is better). */
  metric: "latency" | "throughput";
  /** Bytes moved per run, for throughput. */
  bytes?: number;
  /** Name of the variant every ratio is relative to. */
  baseline?: string;
  warmup: number;
  reps: number;
  variants: Variant[];
  /** Give up on one run after this long (default 180 s). */
  timeoutMs?: number;
}

export interface VariantResult {
  name: string;
  kind: "ours" | "baseline";
  status: "ok" | "failed" | "partial";
  /** The failure was allowed (`mayFail`): a finding, not a broken harness. */
  expectedFailure: boolean;
  error?: string;
  samplesMs: number[];
  stats: Summary;
  /** MiB/s at the median time, for throughput cases. */
  throughputMiBps?: number;
  /** Against the case's baseline, see `CaseDef.metric`. */
  ratio?: number;
  /** The same ratio computed on p95 times. */
  ratioP95?: number;
  /** Ratio of each interleaved round (ours and baseline measured back to back), summarised: its spread shows how stable the ratio is. */
  pairedRatio?: Summary;
  /** Requests of the last successful run (in-process clients only). */
  calls?: CallCount;
}

export interface CaseResult {
  id: string;
  group: string;
  title: string;
  metric: "latency" | "throughput";
  bytes?: number;
  baseline?: string;
  warmup: number;
  reps: number;
  variants: VariantResult[];
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}` : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run every variant of a case interleaved, round after round (A B C, B C A, C A B, …: the
 * start rotates so no variant always runs first after a GC or a cold cache), with `warmup`
 * untimed rounds first. Each run is verified; a variant that fails stops being run and is
 * reported with its error.
 *
 * @example
 * ```ts
 * const result = await runCase({ id: "x", group: "g", title: "t", metric: "latency", warmup: 1, reps: 5,
 *   baseline: "b", variants: [{ name: "a", kind: "ours", run: async () => {} }, { name: "b", kind: "baseline", run: async () => {} }] });
 * ```
 */
export async function runCase(def: CaseDef, log: (line: string) => void = () => {}): Promise<CaseResult> {
  const n = def.variants.length;
  const samples = def.variants.map(() => [] as number[]);
  const perRound = def.variants.map(() => new Map<number, number>());
  const failures = def.variants.map(() => undefined as string | undefined);
  const calls = def.variants.map(() => undefined as CallCount | undefined);
  const timeoutMs = def.timeoutMs ?? 180_000;
  const rounds = def.warmup + def.reps;
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < n; k++) {
      const index = (round + k) % n;
      const variant = def.variants[index]!;
      if (failures[index] !== undefined) continue;
      try {
        if (variant.before) await withTimeout(Promise.resolve(variant.before()), timeoutMs, `${variant.name} (prepare)`);
        const cursor = requestCursor();
        const start = performance.now();
        const value = await withTimeout(variant.run(), timeoutMs, variant.name);
        const ms = performance.now() - start;
        const count = requestsSince(cursor);
        const measured = variant.selfTimed === true ? selfTimedSamples(value) : [ms];
        if (variant.verify) await withTimeout(Promise.resolve(variant.verify()), timeoutMs, `${variant.name} (verify)`);
        if (variant.counted !== false) calls[index] = count;
        if (round >= def.warmup) {
          samples[index]!.push(...measured);
          // A round of several self-timed samples pairs by its median.
          perRound[index]!.set(round, percentile(measured, 50));
        }
      } catch (err) {
        failures[index] = errorText(err);
        log(`  ${def.id} ${variant.name}: ${variant.mayFail ? "fails (expected)" : "FAILED"}: ${failures[index]}`);
      }
    }
  }
  const baselineIndex = def.baseline === undefined ? -1 : def.variants.findIndex((v) => v.name === def.baseline);
  const baseStats = baselineIndex >= 0 ? summarize(samples[baselineIndex]!) : undefined;
  const variants = def.variants.map((variant, i): VariantResult => {
    const stats = summarize(samples[i]!);
    const error = failures[i];
    const result: VariantResult = {
      name: variant.name,
      kind: variant.kind,
      status: error === undefined ? "ok" : stats.n > 0 ? "partial" : "failed",
      expectedFailure: error !== undefined && variant.mayFail === true,
      samplesMs: samples[i]!,
      stats,
    };
    if (error !== undefined) result.error = error;
    const count = calls[i];
    if (count) result.calls = count;
    if (def.bytes !== undefined && stats.n > 0) result.throughputMiBps = def.bytes / 1048576 / (stats.median / 1000);
    if (baseStats && baseStats.n > 0 && stats.n > 0) {
      const latency = def.metric === "latency";
      result.ratio = latency ? stats.median / baseStats.median : baseStats.median / stats.median;
      result.ratioP95 = latency ? stats.p95 / baseStats.p95 : baseStats.p95 / stats.p95;
      const paired: number[] = [];
      for (const [round, ms] of perRound[i]!) {
        const base = perRound[baselineIndex]!.get(round);
        if (base !== undefined) paired.push(latency ? ms / base : base / ms);
      }
      result.pairedRatio = summarize(paired);
    }
    return result;
  });
  return {
    id: def.id,
    group: def.group,
    title: def.title,
    metric: def.metric,
    ...(def.bytes === undefined ? {} : { bytes: def.bytes }),
    ...(def.baseline === undefined ? {} : { baseline: def.baseline }),
    warmup: def.warmup,
    reps: def.reps,
    variants,
  };
}
