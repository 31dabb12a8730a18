import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { isVMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { createDockerVMProvider } from "../src/index.js";

describe("an unreachable engine", () => {
  const socketPath = join(mkdtempSync(join(tmpdir(), "vm-docker-")), "no-engine.sock");

  it.each([
    ["options", () => createDockerVMProvider({ docker: { socketPath } })],
    ["a Dockerode instance", () => createDockerVMProvider({ docker: new Dockerode({ socketPath }) })],
  ])("is UNAVAILABLE with a hint on how to start one (%s)", async (_label, make) => {
    const provider = make();
    const calls = [
      () => provider.instances.list(),
      () => provider.instances.get("abc"),
      () => provider.instances.boot("vm-base:dev"),
      () => provider.instances.exec("abc", ["true"]),
      () => provider.snapshots.list(),
      () => provider.images.list(),
      () => provider.files.readFile("abc", "/etc/hostname"),
    ];
    for (const call of calls) {
      const err: unknown = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isVMError(err)).toBe(true);
      expect(err).toMatchObject({ code: "UNAVAILABLE", provider: "docker" });
      expect((err as Error).message).toContain("bash scripts/docker-engine.sh");
      expect((err as Error).cause).toBeDefined();
    }
  });

  it("honours DOCKER_HOST", async () => {
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${socketPath}`;
    try {
      await expect(createDockerVMProvider().instances.list()).rejects.toMatchObject({ code: "UNAVAILABLE" });
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
    }
  });
});
