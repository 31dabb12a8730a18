import { describe, expect, it } from "vitest";
import { CAPABILITY_NAMES, type CapabilityName, capabilitiesWithout } from "./capabilities.js";

describe("capabilitiesWithout", () => {
  it("claims every capability but the listed ones, frozen", () => {
    const caps = capabilitiesWithout(["pause", "fork"]);
    expect(Object.keys(caps).sort()).toEqual([...CAPABILITY_NAMES].sort());
    for (const name of CAPABILITY_NAMES) expect(caps[name], name).toBe(name !== "pause" && name !== "fork");
    expect(Object.isFrozen(caps)).toBe(true);
  });

  it("an unknown name is INVALID_ARGUMENT, not a silent claim", () => {
    expect(() => capabilitiesWithout(["teleport" as CapabilityName])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => capabilitiesWithout(["toString" as CapabilityName])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});
