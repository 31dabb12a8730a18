import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { isVMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { fromDockerError } from "../src/errors.js";
import { createDockerVMProvider } from "../src/index.js";
import { TEST_RUN_LABEL, baseImage } from "./helpers.js";

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
      () => provider.instances.boot("vm-base:latest"),
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

describe("real engine errors", () => {
  it("a file missing on the engine's host (a device) is INTERNAL with the engine's message as cause, not NOT_FOUND; a missing container is NOT_FOUND", async () => {
    const docker = new Dockerode();
    // The engine answers 500 "...: no such file or directory" for a host device that does not
    // exist, the same shape as a missing init binary or runtime on the engine's host.
    const container = await docker.createContainer({
      Image: baseImage(),
      Cmd: ["true"],
      Labels: { [TEST_RUN_LABEL]: "errors-real-engine" },
      HostConfig: { NetworkMode: "none", Devices: [{ PathOnHost: "/dev/vm-no-such-device", PathInContainer: "/dev/x", CgroupPermissions: "rwm" }] },
    });
    try {
      const cause: unknown = await container.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((cause as { statusCode?: number }).statusCode).toBe(500);
      const err = fromDockerError(cause, { operation: "instances.boot", subject: "snapshot abc" });
      expect(err.code).toBe("INTERNAL");
      expect(err.cause).toBe(cause);
      expect(err.message).toContain("no such file or directory");
    } finally {
      await container.remove({ force: true });
    }
    const missing: unknown = await docker
      .getContainer("vm-no-such-container-0123456789")
      .inspect()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(fromDockerError(missing, { operation: "instances.get" }).code).toBe("NOT_FOUND");
  });
});
