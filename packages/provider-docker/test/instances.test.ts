import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BootedInstance } from "@vm/core";
import { DEFAULT_VM_RESOURCES, isVMError } from "@vm/provider-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCKER_LABELS, TEST_RUN_LABEL, baseImage, createTestProvider, waitFor } from "./helpers.js";

const { provider, docker, runId, labels, cleanup, leftovers } = createTestProvider();
let vm: BootedInstance;

beforeAll(async () => {
  vm = await provider.instances.boot(baseImage(), { metadata: { suite: "instances", run: runId } });
});
afterAll(async () => {
  await cleanup();
});

async function statusOrGone(id: string): Promise<string> {
  try {
    return (await provider.instances.get(id)).status;
  } catch (err) {
    if (isVMError(err) && err.code === "NOT_FOUND") return "gone";
    throw err;
  }
}

describe("instances", () => {
  it("boots a ready instance with metadata, labels and the snapshot id", async () => {
    expect(vm).toMatchObject({ status: "ready", metadata: { suite: "instances", run: runId } });
    expect(vm.snapshot_id).toMatch(/^sha256:/);
    expect(Date.parse(vm.created_at)).toBeGreaterThan(Date.now() - 10 * 60_000);
    const info = await docker.getContainer(vm.id).inspect();
    expect(info.Config.Labels).toMatchObject({
      [DOCKER_LABELS.managed]: "true",
      [DOCKER_LABELS.kind]: "instance",
      [`${DOCKER_LABELS.metaPrefix}suite`]: "instances",
      [TEST_RUN_LABEL]: runId,
    });
    expect(info.HostConfig.Init).toBe(true);
    const got = await provider.instances.get(vm.id);
    expect(got).toEqual({ id: vm.id, status: "ready", metadata: vm.metadata, created_at: vm.created_at, snapshot_id: vm.snapshot_id, resources: DEFAULT_VM_RESOURCES });
  });

  it("lists by metadata and status", async () => {
    const mine = await provider.instances.list({ metadata: { run: runId } });
    expect(mine.map((i) => i.id)).toEqual([vm.id]);
    expect((await provider.instances.list({ metadata: { run: runId }, status: "ready" })).map((i) => i.id)).toEqual([vm.id]);
    expect(await provider.instances.list({ metadata: { run: runId }, status: ["stopped", "error"] })).toEqual([]);
    expect(await provider.instances.list({ metadata: { run: runId, suite: "other" } })).toEqual([]);
    await expect(provider.instances.list({ status: "sleeping" as never })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("stop keeps the files; terminate removes the container", async () => {
    const other = await provider.instances.boot(baseImage(), { metadata: { run: runId, case: "stop" } });
    await provider.files.writeFile(other.id, "/root/kept.txt", "still here");
    await provider.instances.stop(other.id);
    expect((await provider.instances.get(other.id)).status).toBe("stopped");
    await provider.instances.stop(other.id); // idempotent
    expect(await provider.files.readFile(other.id, "/root/kept.txt")).toBe("still here");
    await expect(provider.instances.exec(other.id, ["true"])).rejects.toMatchObject({ code: "CONFLICT" });
    await provider.instances.terminate(other.id);
    await expect(provider.instances.get(other.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(docker.getContainer(other.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("terminates at the end of an `await using` scope", async () => {
    let id: string;
    {
      await using scoped = await provider.instances.boot(baseImage(), { metadata: { run: runId, case: "dispose" } });
      id = scoped.id;
      expect((await provider.instances.exec(id, ["true"])).exit_code).toBe(0);
    }
    await expect(provider.instances.get(id)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("answers NOT_FOUND for unknown ids and for containers it did not create", async () => {
    for (const call of [
      () => provider.instances.get("0123456789abcdef0123"),
      () => provider.instances.stop("0123456789abcdef0123"),
      () => provider.instances.terminate("0123456789abcdef0123"),
      () => provider.instances.fork("0123456789abcdef0123", 1),
      () => provider.instances.boot("no-such-image:never"),
    ]) {
      await expect(call()).rejects.toMatchObject({ name: "VMError", code: "NOT_FOUND", provider: "docker" });
    }
    const foreign = await docker.createContainer({ Image: baseImage(), Cmd: ["true"], Labels: labels });
    await expect(provider.instances.get(foreign.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(provider.instances.terminate(foreign.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(provider.instances.exec(foreign.id, ["true"])).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await foreign.inspect()).Id).toBe(foreign.id); // untouched
    await foreign.remove({ force: true });
  });

  it("rejects bad boot input with INVALID_ARGUMENT before creating anything", async () => {
    const before = (await leftovers()).containers.length;
    for (const options of [{ ttl_seconds: 0 }, { ttl_seconds: 1.5 }, { ttl_seconds: 5, ttl_action: "explode" }, { metadata: { a: 1 } }, { timeoutMs: 0 }]) {
      await expect(provider.instances.boot(baseImage(), options as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    }
    await expect(provider.instances.boot("")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(provider.instances.fork(vm.id, 0)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((await leftovers()).containers.length).toBe(before);
  });

  it("removes the container when boot times out or is aborted", async () => {
    const before = (await leftovers()).containers.length;
    await expect(provider.instances.boot(baseImage(), { timeoutMs: 1 })).rejects.toMatchObject({ code: "TIMEOUT" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await expect(provider.instances.boot(baseImage(), { signal: controller.signal })).rejects.toMatchObject({ code: "ABORTED" });
    expect((await leftovers()).containers.length).toBe(before);
  });

  it("uses the network it is given", async () => {
    const none = createTestProvider({ network: "none" });
    try {
      await using isolated = await none.provider.instances.boot(baseImage());
      expect((await none.docker.getContainer(isolated.id).inspect()).HostConfig.NetworkMode).toBe("none");
      const { stdout } = await none.provider.instances.exec(isolated.id, ["cat", "/proc/net/dev"]);
      expect(stdout).toContain("lo:");
    } finally {
      await none.cleanup();
    }
  });

  it("stops an instance when its TTL (stop) runs out and keeps its files", async () => {
    // 10 s: the file must be written before the TTL runs out (with 3 s a loaded machine could be
    // too slow to write it); the waits below are liveness bounds, not timings.
    const ttl = await provider.instances.boot(baseImage(), { ttl_seconds: 10, ttl_action: "stop", metadata: { run: runId, case: "ttl-stop" } });
    expect(ttl.ttl).toEqual({ seconds: 10, action: "stop" });
    await provider.files.writeFile(ttl.id, "/root/ttl.txt", "survives");
    await waitFor(async () => ((await statusOrGone(ttl.id)) === "stopped" ? true : undefined), 90_000);
    expect(await provider.files.readFile(ttl.id, "/root/ttl.txt")).toBe("survives");
    expect((await provider.instances.get(ttl.id)).ttl).toEqual({ seconds: 10, action: "stop" });
  });

  it("removes an instance when its TTL (terminate) runs out, with no client running", async () => {
    const dist = join(import.meta.dirname, "..", "dist", "index.js");
    expect(existsSync(dist), "build the package first: pnpm --filter @vm/provider-docker build").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "vm-docker-ttl-"));
    const script = join(dir, "boot.mjs");
    writeFileSync(
      script,
      `import { createDockerVMProvider } from ${JSON.stringify(dist)};
const provider = createDockerVMProvider({ labels: JSON.parse(process.env.VM_TEST_LABELS) });
const vm = await provider.instances.boot(process.env.VM_BASE_IMAGE, { ttl_seconds: 3, ttl_action: "terminate" });
process.stdout.write(vm.id);
`,
    );
    const child = spawn(process.execPath, [script], { env: { ...process.env, VM_TEST_LABELS: JSON.stringify(labels), VM_BASE_IMAGE: baseImage() }, stdio: ["ignore", "pipe", "inherit"] });
    let id = "";
    child.stdout.on("data", (d: Buffer) => (id += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    // The client is gone; the engine alone must remove the container.
    await waitFor(async () => ((await statusOrGone(id)) === "gone" ? true : undefined), 90_000);
    await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("removes an instance with ttl_action terminate when it is stopped", async () => {
    const doomed = await provider.instances.boot(baseImage(), { ttl_seconds: 600, ttl_action: "terminate" });
    expect(doomed.ttl).toEqual({ seconds: 600, action: "terminate" });
    await provider.instances.stop(doomed.id);
    await waitFor(async () => ((await statusOrGone(doomed.id)) === "gone" ? true : undefined), 90_000);
  });
});
