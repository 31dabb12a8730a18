import { describe, expect, it } from "vitest";
import type { StepResult } from "./deploy-app.js";
import { formatBytes, formatDuration, renderSummary, renderTable } from "./render.js";

describe("formatDuration", () => {
  it("picks ms, seconds or minutes", () => {
    expect(formatDuration(0)).toBe("0ms");
    expect(formatDuration(999.6)).toBe("1000ms");
    expect(formatDuration(2449)).toBe("2.4s");
    expect(formatDuration(65_000)).toBe("1m05s");
  });
});

describe("formatBytes", () => {
  it("scales by 1024", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(2048)).toBe("2.0 KB");
    expect(formatBytes(43_300_000)).toBe("41.3 MB");
  });
});

describe("renderTable", () => {
  it("pads columns to the widest cell and aligns right where asked", () => {
    expect(renderTable(["step", "time"], [["boot", "1.2s"], ["fork it twice", "12.0s"]], ["left", "right"])).toEqual([
      "step            time",
      "-------------  -----",
      "boot            1.2s",
      "fork it twice  12.0s",
    ]);
  });

  it("treats missing cells as empty", () => {
    expect(renderTable(["a", "b"], [["x"]])).toEqual(["a  b", "-  -", "x"]);
  });
});

describe("renderSummary", () => {
  const step = (n: number, status: StepResult["status"], durationMs: number): StepResult => ({
    step: n,
    id: "boot",
    title: `step ${n}`,
    ok: status === "ok",
    status,
    durationMs,
    checks: [
      { name: "a", ok: true },
      { name: "b", ok: status === "ok" },
    ],
    details: {},
    output: [],
  });

  it("lists every step with its result, checks and time, then the total", () => {
    const lines = renderSummary([step(1, "ok", 1200), step(2, "failed", 50), step(3, "skipped", 0)], 1250);
    expect(lines).toEqual([
      "#  step    result   checks  time",
      "-  ------  -------  ------  ----",
      "1  step 1  ok          2/2  1.2s",
      "2  step 2  failed      1/2  50ms",
      "3  step 3  skipped     1/2     -",
      "--------------------------------",
      "                      total 1.3s",
    ]);
  });
});
