import { readFileSync } from "node:fs";
import { join } from "node:path";
import Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import { DOCKER_CAPABILITIES, DOCKER_PROVIDER_VERSION, createDockerVMProvider } from "./provider.js";

describe("createDockerVMProvider", () => {
  it("reports the package version and its capabilities", () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string };
    const provider = createDockerVMProvider({ docker: new Dockerode({ socketPath: "/nonexistent.sock" }) });
    expect(provider.version).toBe(pkg.version);
    expect(DOCKER_PROVIDER_VERSION).toBe(pkg.version);
    expect(provider.name).toBe("docker");
    expect(provider.capabilities).toEqual(DOCKER_CAPABILITIES);
    expect(provider.capabilities.pause).toBe(false);
  });

  it("rejects bad options with INVALID_ARGUMENT", () => {
    for (const options of [{ maxOutputBytes: 0 }, { network: "" }, { labels: { "dev.vm.managed": "false" } }, { bootTimeoutMs: -1 }]) {
      expect(() => createDockerVMProvider(options)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }) as Error);
    }
  });
});
