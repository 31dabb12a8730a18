import { afterEach, describe, expect, it, vi } from "vitest";
import { runCase, selfTimedSamples } from "./harness.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("runCase", () => {
  it("interleaves variants with a rotating start and skips warm-up rounds", async () => {
    const order: string[] = [];
    const variant = (name: string, kind: "ours" | "baseline") => ({ name, kind, run: async () => void order.push(name) });
    const result = await runCase({
      id: "t", group: "g", title: "t", metric: "latency", warmup: 1, reps: 2, baseline: "B",
      variants: [variant("A", "ours"), variant("B", "baseline"), variant("C", "baseline")],
    });
    expect(order).toEqual(["A", "B", "C", "B", "C", "A", "C", "A", "B"]);
    expect(result.variants.map((v) => v.stats.n)).toEqual([2, 2, 2]);
  });

  it("reports ratios against the baseline (latency: time; throughput: bytes per second)", async () => {
    // A clock the runs advance (40 vs 10 ms): real sleeps of 40 and 10 ms come out in any ratio
    // on a loaded machine, and the arithmetic is what this checks.
    let now = 0;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const make = (metric: "latency" | "throughput") =>
      runCase({
        id: "t", group: "g", title: "t", metric, warmup: 0, reps: 3, baseline: "fast", bytes: 1048576,
        variants: [
          { name: "slow", kind: "ours", run: async () => void (now += 40) },
          { name: "fast", kind: "baseline", run: async () => void (now += 10) },
        ],
      });
    const latency = await make("latency");
    expect(latency.variants[0]!.ratio).toBeGreaterThan(2);
    expect(latency.variants[1]!.ratio).toBe(1);
    expect(latency.variants[0]!.pairedRatio!.n).toBe(3);
    const throughput = await make("throughput");
    expect(throughput.variants[0]!.ratio).toBeLessThan(0.5);
    expect(throughput.variants[0]!.throughputMiBps).toBeLessThan(throughput.variants[1]!.throughputMiBps!);
  });

  it("records a failed verification instead of a sample, and stops running that variant", async () => {
    let runs = 0;
    const result = await runCase({
      id: "t", group: "g", title: "t", metric: "latency", warmup: 0, reps: 3,
      variants: [
        { name: "wrong", kind: "ours", run: async () => void runs++, verify: async () => { throw new Error("hash mismatch"); } },
        { name: "limit", kind: "baseline", mayFail: true, run: async () => { throw new Error("argument list too long"); } },
      ],
    });
    expect(runs).toBe(1);
    expect(result.variants[0]).toMatchObject({ status: "failed", expectedFailure: false, error: "hash mismatch" });
    expect(result.variants[1]).toMatchObject({ status: "failed", expectedFailure: true });
    expect(result.variants[0]!.stats.n).toBe(0);
  });

  it("times out a hung run", async () => {
    const result = await runCase({
      id: "t", group: "g", title: "t", metric: "latency", warmup: 0, reps: 1, timeoutMs: 20,
      // Never settles: the 20 ms bound is the only way this run can end, however slow the machine.
      variants: [{ name: "hang", kind: "ours", run: () => new Promise<void>(() => undefined) }],
    });
    expect(result.variants[0]!.error).toMatch(/longer than 20 ms/);
  });

  it("takes a self-timed variant's own samples, pairs its rounds by their median, and ignores its wall time", async () => {
    let now = 0;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const result = await runCase({
      id: "t", group: "g", title: "t", metric: "latency", warmup: 1, reps: 2, baseline: "in VM",
      variants: [
        // The wall clock says 100 ms (the exec around the measurement); only 2 ms a request count.
        { name: "ours", kind: "ours", selfTimed: true, run: async () => { now += 100; return { samplesMs: [4, 4, 4] }; } },
        { name: "in VM", kind: "baseline", selfTimed: true, run: async () => { now += 100; return { samplesMs: [1, 2, 3] }; } },
      ],
    });
    const [ours, base] = result.variants;
    expect(ours!.samplesMs).toEqual([4, 4, 4, 4, 4, 4]);
    expect(base!.samplesMs).toEqual([1, 2, 3, 1, 2, 3]);
    expect(base!.stats.n).toBe(6);
    expect(ours!.ratio).toBe(2);
    expect(ours!.pairedRatio).toMatchObject({ n: 2, median: 2 });
  });

  it("fails a self-timed variant whose report is garbled instead of recording it", async () => {
    const result = await runCase({
      id: "t", group: "g", title: "t", metric: "latency", warmup: 0, reps: 1,
      variants: [
        { name: "nothing", kind: "ours", selfTimed: true, run: async () => undefined },
        { name: "empty", kind: "ours", selfTimed: true, run: async () => ({ samplesMs: [] }) },
        { name: "NaN", kind: "ours", selfTimed: true, run: async () => ({ samplesMs: [1, Number.NaN] }) },
      ],
    });
    expect(result.variants.map((v) => v.status)).toEqual(["failed", "failed", "failed"]);
    expect(result.variants[2]!.error).toMatch(/bad sample: NaN/);
  });
});

describe("selfTimedSamples", () => {
  it("accepts finite non-negative milliseconds only", () => {
    expect(selfTimedSamples({ samplesMs: [0, 1.5] })).toEqual([0, 1.5]);
    expect(() => selfTimedSamples(null)).toThrow(/no samples/);
    expect(() => selfTimedSamples({ samplesMs: [-1] })).toThrow(/bad sample/);
    expect(() => selfTimedSamples({ samplesMs: ["1"] })).toThrow(/bad sample/);
    expect(() => selfTimedSamples({ samplesMs: [Number.POSITIVE_INFINITY] })).toThrow(/bad sample/);
  });
});
