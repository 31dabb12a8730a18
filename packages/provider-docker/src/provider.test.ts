import { readFileSync } from "node:fs";
import { join } from "node:path";
import Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import { DOCKER_CAPABILITIES, DOCKER_PROVIDER_VERSION, createDockerVMProvider } from "./provider.js";
import type { DockerVMProviderOptions } from "./provider.js";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "./defaults.js";

describe("createDockerVMProvider", () => {
  it("reports the package version and its capabilities", () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string };
    const provider = createDockerVMProvider({ docker: new Dockerode({ socketPath: "/nonexistent.sock" }) });
    expect(provider.version).toBe(pkg.version);
    expect(DOCKER_PROVIDER_VERSION).toBe(pkg.version);
    expect(provider.name).toBe("docker");
    expect(provider.capabilities).toEqual(DOCKER_CAPABILITIES);
    expect(provider.capabilities.pause).toBe(true);
    expect(provider.capabilities.ttlPause).toBe(false);
  });

  it("rejects bad options with INVALID_ARGUMENT", () => {
    for (const options of [{ maxOutputBytes: 0 }, { network: "" }, { labels: { "dev.vm.managed": "false" } }, { bootTimeoutMs: -1 }, { requestTimeoutMs: 0 }, { requestTimeoutMs: 1.5 }, { requestTimeoutMs: "1000" }, { requestTimeoutMs: 2 ** 31 }, { requestTimeoutMs: Number.NaN },
      // An outside user's finds: each was accepted, then failed every call (or did nothing).
      { logger: {} }, { logger: 5 }, { labels: "x" }, { labels: 5 }, { labels: ["a"] }, { docker: 5 }, { netwrok: "none" }, [], null, 5]) {
      expect(() => createDockerVMProvider(options as DockerVMProviderOptions)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }) as Error);
    }
  });

  it("accepts requestTimeoutMs from 1 ms to the largest timer delay, 60 s by default", () => {
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(60_000);
    for (const requestTimeoutMs of [1, 2_000, 2_147_483_647]) {
      expect(createDockerVMProvider({ docker: new Dockerode({ socketPath: "/nonexistent.sock" }), requestTimeoutMs }).name).toBe("docker");
    }
  });

  it("does not change the caller's Dockerode", () => {
    const docker = new Dockerode({ socketPath: "/nonexistent.sock" });
    const dial = (docker as unknown as { modem: { dial: unknown } }).modem.dial;
    createDockerVMProvider({ docker, requestTimeoutMs: 10 });
    expect((docker as unknown as { modem: { dial: unknown } }).modem.dial).toBe(dial);
  });
});
