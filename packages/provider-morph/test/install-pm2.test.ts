// installPM2 through the Morph provider against the emulator: `morphvm-minimal` has no Node and no
// PM2 (like Morph Cloud's), so @vm/pm2 fails UNSUPPORTED until installPM2 uploads them (through
// Morph's exec-based file writes, ~96 KiB of base64 per request); a snapshot then keeps them.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { VMProvider } from "@vm/core";
import { installPM2 } from "@vm/pm2";
import { createMorphVMProvider } from "@vm/provider-morph";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TEST_API_KEY, admin, startInProcessEmulator, type TestEmulator } from "./support/emulator.js";

const run = promisify(execFile);

/** pm2 as npm's global install left it in the base image: a self-contained package directory. */
async function pm2Tree(root: string): Promise<string> {
  const { stdout } = await run("docker", ["create", "--label", "dev.vm.managed=true", inject("baseImage")]);
  const id = stdout.trim();
  try {
    await run("docker", ["cp", `${id}:/usr/local/lib/node_modules/pm2`, root]);
  } finally {
    await run("docker", ["rm", "-f", id]);
  }
  return join(root, "pm2");
}

describe("installPM2 on Morph's minimal image (emulator)", () => {
  let emulator: TestEmulator;
  let provider: VMProvider;
  let root = "";
  let pm2Directory = "";
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "vm-morph-pm2-"));
    [emulator, pm2Directory] = await Promise.all([startInProcessEmulator(), pm2Tree(root)]);
    provider = createMorphVMProvider({ baseUrl: emulator.apiUrl, apiKey: TEST_API_KEY });
  }, 300_000);
  afterAll(async () => {
    await emulator?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it("installs Node and PM2 by upload, once; a snapshot made by digest keeps them", async () => {
    const base = await provider.snapshots.fromImage("morphvm-minimal");
    const vm = await provider.instances.boot(base.id);
    await expect(provider.processes.list(vm.id)).rejects.toMatchObject({ code: "UNSUPPORTED", message: expect.stringMatching(/^node and pm2 not found on PATH for user root/) as unknown });

    await admin(emulator).clearRequests();
    const started = Date.now();
    const uploadConcurrency = Number(process.env.VM_TEST_UPLOAD_CONCURRENCY ?? "4");
    const installed = await installPM2(provider, vm.id, { pm2Directory, provider: "morph", uploadConcurrency });
    const ms = Date.now() - started;
    const execs = (await admin(emulator).requests()).filter((r) => r.route.endsWith("/exec")).length;
    console.log(`installPM2 through Morph (emulator): ${(installed.uploadedBytes / 1048576).toFixed(1)} MiB gzip'd in ${ms} ms, ${execs} exec requests, uploadConcurrency ${uploadConcurrency}`);
    expect(installed).toMatchObject({ changed: true, node: process.versions.node });

    await provider.processes.start(vm.id, "sleep", { name: "sleeper", args: ["1000"] });
    expect((await provider.processes.list(vm.id)).map((p) => [p.name, p.status])).toEqual([["sleeper", "online"]]);
    await provider.processes.deleteAll(vm.id);

    const digest = `node-pm2-${Date.now()}`;
    const ready = await provider.snapshots.create(vm.id, { digest });
    await provider.instances.terminate(vm.id);
    // Found again by its digest, as a second run of a user's program would.
    expect((await provider.snapshots.list({ digest })).map((s) => s.id)).toEqual([ready.id]);
    const again = await provider.instances.boot(ready.id);
    expect(await installPM2(provider, again.id, { pm2Directory, provider: "morph" })).toEqual({ changed: false, node: installed.node, pm2: installed.pm2, uploadedBytes: 0 });
    expect(await provider.processes.list(again.id)).toEqual([]);
    await provider.instances.terminate(again.id);
    await provider.snapshots.delete(ready.id);
    await provider.snapshots.delete(base.id);
  }, 600_000);
});
