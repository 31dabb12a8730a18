import { describe, expect, it } from "vitest";
import type { CaseResult, VariantResult } from "./harness.js";
import { renderResultsChart } from "./report.js";
import type { BenchResults } from "./results.js";
import { summarize } from "./stats.js";

function latencyCase(id: string, group: string, ratio: number): CaseResult {
  const variant = (name: string, kind: "ours" | "baseline", ms: number, r: number): VariantResult => ({
    name, kind, status: "ok", expectedFailure: false, samplesMs: [ms], stats: summarize([ms]), ratio: r,
  });
  return {
    id, group, title: id, metric: "latency", baseline: "base", warmup: 0, reps: 1,
    variants: [variant(`ours: ${id}`, "ours", ratio, ratio), variant("base", "baseline", 1, 1)],
  };
}

const results = (cases: CaseResult[]) =>
  ({ mode: "smoke", runId: "r", cases, machine: { cpus: 2, node: "v24", docker: { server: "28" } } }) as unknown as BenchResults;

/** The x coordinate where a ratio's value label is drawn. */
function labelX(svg: string, text: string): number {
  const match = new RegExp(`<text x="([0-9.]+)"[^>]*>${text.replace(/\./g, "\\.")}</text>`).exec(svg);
  if (!match?.[1]) throw new Error(`no label ${text}`);
  return Number(match[1]);
}

describe("renderResultsChart", () => {
  it("draws reach ratios in their own panel, so a 46x one does not flatten the exec ratios", () => {
    const exec = latencyCase("exec.true", "exec", 1.05);
    const alone = renderResultsChart(results([exec]));
    const svg = renderResultsChart(results([exec, latencyCase("reach.http-connect", "reach", 46.5)]));
    expect(svg).toContain("Reach ratio");
    expect(svg).toContain("46.50x");
    // The exec ratio's bar keeps its length: the reach ratio did not rescale its panel.
    expect(labelX(svg, "1.05x")).toBe(labelX(alone, "1.05x"));
  });
});
