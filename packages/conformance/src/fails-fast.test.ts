import { afterEach, describe, expect, it } from "vitest";
import { SETTLE_MS, TIMEOUT_MS } from "./cases/util.js";
import { runConformance } from "./run.js";
import { createHostProvider, HOST_CAPABILITIES, HOST_SNAPSHOT_ID } from "./test-support/host-provider.js";
import type { ConformanceTarget } from "./types.js";

// A provider whose exec ignores its signal and its timeoutMs: the waiting cases must fail on
// their own bound (SETTLE_MS after the abort or the timeout), not at the per-case timeout
// (90 s) nor after the 300 s sleep they start. The same cases pass on the working provider.
const CASE_TIMEOUT_MS = 90_000;
let provider: ReturnType<typeof createHostProvider> | undefined;

afterEach(() => {
  provider?.killAll();
  provider = undefined;
});

function target(ignoreSignal: boolean): ConformanceTarget {
  provider = createHostProvider({ ignoreSignal });
  const p = provider;
  return { name: "host", capabilities: HOST_CAPABILITIES, caseTimeoutMs: CASE_TIMEOUT_MS, setup: async () => ({ provider: p, snapshotId: HOST_SNAPSHOT_ID }) };
}

describe("waiting cases fail fast on a broken provider", () => {
  it("exec.abort fails within SETTLE_MS of the abort when exec ignores its signal", async () => {
    const [outcome] = await runConformance(target(true), { only: (id) => id === "exec.abort" });
    expect(outcome).toMatchObject({ id: "exec.abort", state: "fail" });
    expect(outcome!.detail).toMatch(/did not settle within/);
    // The bound is SETTLE_MS after the abort, plus starting the command; far below the case timeout.
    expect(outcome!.durationMs).toBeGreaterThanOrEqual(SETTLE_MS);
    expect(outcome!.durationMs).toBeLessThan(2 * SETTLE_MS);
  }, 4 * SETTLE_MS);

  it("exec.timeout fails within TIMEOUT_MS + SETTLE_MS when exec ignores timeoutMs", async () => {
    const [outcome] = await runConformance(target(true), { only: (id) => id === "exec.timeout" });
    expect(outcome).toMatchObject({ id: "exec.timeout", state: "fail" });
    expect(outcome!.detail).toMatch(/did not settle within/);
    expect(outcome!.durationMs).toBeLessThan(TIMEOUT_MS + 2 * SETTLE_MS);
  }, 4 * SETTLE_MS);

  it("the same cases pass on the working provider", async () => {
    const outcomes = await runConformance(target(false), { only: (id) => id === "exec.abort" || id === "exec.timeout" });
    expect(outcomes.map((o) => [o.id, o.state, o.detail])).toEqual([
      ["exec.timeout", "pass", undefined],
      ["exec.abort", "pass", undefined],
      ["cleanup.nothing-left", "pass", undefined],
    ]);
  }, 4 * SETTLE_MS);
});
