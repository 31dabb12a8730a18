import { describe, expect, it } from "vitest";
import { mapContainerState } from "./status.js";

describe("mapContainerState", () => {
  it.each([
    ["created", "booting"],
    ["restarting", "booting"],
    ["running", "ready"],
    ["paused", "paused"],
    ["removing", "stopping"],
    ["exited", "stopped"],
    ["dead", "error"],
    ["RUNNING", "ready"],
    ["something-new", "error"],
    [undefined, "error"],
  ])("%s -> %s", (state, status) => {
    expect(mapContainerState(state)).toBe(status);
  });
});

describe("mapContainerState with the boot's deadline", () => {
  const now = Date.parse("2026-01-01T00:01:00.000Z");
  it("a container still created after its boot's deadline is error: that boot was abandoned", () => {
    expect(mapContainerState("created", "2026-01-01T00:00:59.999Z", now)).toBe("error");
  });
  it("before the deadline (or with no or an unreadable deadline) it is booting", () => {
    expect(mapContainerState("created", "2026-01-01T00:01:00.001Z", now)).toBe("booting");
    expect(mapContainerState("created", undefined, now)).toBe("booting");
    expect(mapContainerState("created", "not a date", now)).toBe("booting");
  });
  it("the deadline changes nothing for a container that was started", () => {
    expect(mapContainerState("running", "2026-01-01T00:00:00.000Z", now)).toBe("ready");
    expect(mapContainerState("exited", "2026-01-01T00:00:00.000Z", now)).toBe("stopped");
  });
});
