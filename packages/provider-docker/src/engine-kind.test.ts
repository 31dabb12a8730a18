import { describe, expect, it } from "vitest";
import { engineKindOf } from "./engine-kind.js";

describe("engineKindOf", () => {
  it("reads Podman from the components or the platform name", () => {
    expect(engineKindOf({ Platform: { Name: "linux/amd64/debian-12" }, Components: [{ Name: "Podman Engine" }] })).toBe("podman");
    expect(engineKindOf({ Platform: { Name: "Podman Engine" } })).toBe("podman");
  });
  it("takes anything else, and a bare answer, for Docker", () => {
    expect(engineKindOf({ Platform: { Name: "Docker Engine - Community" }, Components: [{ Name: "Engine" }, { Name: "containerd" }] })).toBe("docker");
    expect(engineKindOf({ Components: null })).toBe("docker");
    expect(engineKindOf({})).toBe("docker");
  });
});
