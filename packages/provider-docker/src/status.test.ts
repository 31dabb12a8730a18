import { describe, expect, it } from "vitest";
import { mapContainerState } from "./status.js";

describe("mapContainerState", () => {
  it.each([
    ["created", "booting"],
    ["restarting", "booting"],
    ["running", "ready"],
    ["paused", "stopped"],
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
