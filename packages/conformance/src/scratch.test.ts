import { rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runConformance } from "./run.js";
import { hostLeftovers, SCRATCH_PREFIX } from "./scratch.js";
import { createHostProvider, HOST_CAPABILITIES, HOST_SNAPSHOT_ID } from "./test-support/host-provider.js";
import type { ConformanceTarget } from "./types.js";

// The host provider's instances are this host: a scratch directory a case leaves is left here.
function target(keepDirectories: boolean): ConformanceTarget {
  const provider = createHostProvider({ keepDirectories });
  return { name: "host", capabilities: HOST_CAPABILITIES, setup: async () => ({ provider, snapshotId: HOST_SNAPSHOT_ID }) };
}

const paths = (detail: string | undefined) => [...(detail ?? "").matchAll(new RegExp(`/tmp/${SCRATCH_PREFIX}[^\\s,]+`, "g"))].map((m) => m[0]);

describe("what a case leaves on the host", () => {
  it("a scratch directory the provider did not remove fails the case and the leak check", async () => {
    const outcomes = await runConformance(target(true), { only: (id) => id === "files.text-roundtrip" });
    const left = paths(outcomes.map((o) => o.detail).join(" "));
    try {
      expect(outcomes.map((o) => [o.id, o.state])).toEqual([
        ["files.text-roundtrip", "fail"],
        ["cleanup.nothing-left", "fail"],
      ]);
      expect(outcomes[0]!.detail).toMatch(/still on the host after the case/);
      expect(outcomes[1]!.detail).toMatch(/host path \/tmp\/vm-conformance-/);
      expect(left.length).toBeGreaterThan(0);
    } finally {
      await Promise.all(left.map((p) => rm(p, { recursive: true, force: true })));
    }
  }, 60_000);

  it("a working provider's run leaves nothing under the run's prefix", async () => {
    const t = target(false);
    let run = "";
    const setup = t.setup.bind(t);
    t.setup = async (marker) => {
      run = marker.run;
      return setup(marker);
    };
    const outcomes = await runConformance(t, { only: (id) => id === "files.text-roundtrip" || id === "files.overwrite" });
    expect(outcomes.map((o) => [o.id, o.state, o.detail])).toEqual([
      ["files.text-roundtrip", "pass", undefined],
      ["files.overwrite", "pass", undefined],
      ["cleanup.nothing-left", "pass", undefined],
    ]);
    expect(run).not.toBe("");
    expect(hostLeftovers(run)).toEqual([]);
  }, 60_000);
});
