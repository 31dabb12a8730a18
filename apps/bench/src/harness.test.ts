import { afterEach, describe, expect, it, vi } from "vitest";
import { runCase } from "./harness.js";

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
});
