import { describe, expect, it } from "vitest";
import { planBase64Batches } from "./limits.js";

const total = (batches: number[][]) => batches.flat().reduce((a, b) => a + b, 0);

describe("planBase64Batches", () => {
  it("empty content is one exec with no pieces", () => {
    expect(planBase64Batches(0, 1000, 100)).toEqual([[]]);
  });

  it("small content is one exec with one piece", () => {
    expect(planBase64Batches(8, 1000, 100)).toEqual([[8]]);
  });

  it("pieces are multiples of 4, under maxArgBytes, and each exec fits its capacity", () => {
    for (const [chars, capacity, maxArg] of [
      [400_000, 10_000, 1000],
      [11_184_812, 1_568_000, 122_880],
      [1_000_000, 5_000, 4097],
      [4, 5, 8],
    ] as const) {
      const batches = planBase64Batches(chars, capacity, maxArg);
      expect(total(batches)).toBe(chars);
      for (const pieces of batches) {
        expect(pieces.length).toBeGreaterThan(0);
        expect(pieces.reduce((a, p) => a + p + 1, 0)).toBeLessThanOrEqual(capacity);
        for (const p of pieces) {
          expect(p % 4).toBe(0);
          expect(p + 1).toBeLessThanOrEqual(maxArg);
        }
      }
    }
  });

  it("fills each exec: 8 MiB of base64 under the defaults is 8 execs", () => {
    expect(planBase64Batches(11_184_812, 1_572_864 - 6_000, 122_880)).toHaveLength(8);
  });

  it("refuses a capacity that cannot hold one quantum", () => {
    expect(() => planBase64Batches(8, 4, 100)).toThrow(RangeError);
  });
});
