import { describe, expect, it } from "vitest";
import { INSTANCE_STATUSES, INSTANCE_TRANSITIONS, SNAPSHOT_STATUSES, SNAPSHOT_TRANSITIONS, canInstanceReach, canSnapshotReach, statusMapper } from "./status.js";

describe("statusMapper", () => {
  const map = statusMapper({ pending: "booting", up: "ready", down: "stopped" }, "error");

  it("maps each raw status of the table, and anything else to the fallback", () => {
    expect(map("pending")).toBe("booting");
    expect(map("up")).toBe("ready");
    expect(map("down")).toBe("stopped");
    expect(map("new-in-v2")).toBe("error");
    expect(map(undefined)).toBe("error");
    expect(map(null)).toBe("error");
  });

  it("matches own keys only: names on Object.prototype are the fallback", () => {
    for (const raw of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) expect(map(raw), raw).toBe("error");
  });

  it("is case-sensitive unless told otherwise", () => {
    expect(map("UP")).toBe("error");
    expect(statusMapper({ up: "ready" }, "error", { ignoreCase: true })("UP")).toBe("ready");
  });
});

describe("transitions", () => {
  it("name every contract status, and lead only to contract statuses", () => {
    expect(Object.keys(INSTANCE_TRANSITIONS).sort()).toEqual([...INSTANCE_STATUSES].sort());
    expect(Object.keys(SNAPSHOT_TRANSITIONS).sort()).toEqual([...SNAPSHOT_STATUSES].sort());
    for (const next of Object.values(INSTANCE_TRANSITIONS)) for (const s of next) expect(INSTANCE_STATUSES).toContain(s);
    for (const next of Object.values(SNAPSHOT_TRANSITIONS)) for (const s of next) expect(SNAPSHOT_STATUSES).toContain(s);
  });

  it("an instance can become ready only from booting or paused (resume), or ready itself", () => {
    expect(INSTANCE_STATUSES.filter((s) => canInstanceReach(s, "ready"))).toEqual(["booting", "ready", "paused"]);
    expect(canInstanceReach("paused", "stopped")).toBe(true);
    expect(canInstanceReach("stopped", "paused")).toBe(false);
    expect(canInstanceReach("ready", "stopped")).toBe(true);
    expect(canInstanceReach("stopping", "ready")).toBe(false);
    expect(canInstanceReach("error", "stopped")).toBe(false);
  });

  it("a snapshot can become ready only while it is created; any can be deleted", () => {
    expect(SNAPSHOT_STATUSES.filter((s) => canSnapshotReach(s, "ready"))).toEqual(["creating", "ready"]);
    expect(SNAPSHOT_STATUSES.every((s) => canSnapshotReach(s, "deleting"))).toBe(true);
  });

  it("are frozen: a provider cannot widen the contract's table", () => {
    expect(Object.isFrozen(INSTANCE_TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(INSTANCE_TRANSITIONS.booting)).toBe(true);
    expect(Object.isFrozen(SNAPSHOT_TRANSITIONS.creating)).toBe(true);
  });
});
