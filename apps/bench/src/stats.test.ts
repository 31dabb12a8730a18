import { describe, expect, it } from "vitest";
import { percentile, round, summarize } from "./stats.js";

describe("percentile", () => {
  it("interpolates between ranks", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    expect(percentile([10, 20], 95)).toBeCloseTo(19.5);
  });
  it("is NaN for no samples", () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("summarize", () => {
  it("reports median, p95, spread", () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ n: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4, iqr: 2, mean: 3 });
    expect(s.p95).toBeCloseTo(4.8);
  });
  it("handles an empty set", () => {
    expect(summarize([]).n).toBe(0);
    expect(summarize([]).median).toBeNaN();
  });
  it("rounds", () => {
    expect(round(1.23456)).toBe(1.235);
    expect(round(Number.NaN)).toBeNaN();
  });
});
