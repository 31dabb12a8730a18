import { VMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { explainError } from "./explain.js";

describe("explainError", () => {
  it("tells a Docker user how to start the engine", () => {
    const line = explainError(new VMError("UNAVAILABLE", "connect ENOENT /var/run/docker.sock"), { provider: "docker" });
    expect(line).toContain("bash scripts/docker-engine.sh");
    expect(line).not.toContain("\n");
  });

  it("tells a Morph user to fix MORPH_API_KEY, without echoing anything secret", () => {
    const line = explainError(new VMError("UNAUTHENTICATED", "401 from https://cloud.morph.so (key sk-secret)"), { provider: "morph" });
    expect(line).toContain("MORPH_API_KEY");
    expect(line).not.toContain("sk-secret");
  });

  it("names the Morph URL that does not answer", () => {
    expect(explainError(new VMError("UNAVAILABLE", "ECONNREFUSED"), { provider: "morph", baseUrl: "http://127.0.0.1:9" })).toContain("http://127.0.0.1:9");
  });

  it("keeps only the first line of anything else: no stack trace", () => {
    const err = new Error("boom\n    at somewhere (file.js:1:1)");
    expect(explainError(err, { provider: "docker" })).toBe("boom");
    expect(explainError(new VMError("INTERNAL", "bad answer\nmore", { operation: "instances.boot" }), { provider: "docker" })).toBe(
      "INTERNAL in instances.boot: bad answer",
    );
  });
});
