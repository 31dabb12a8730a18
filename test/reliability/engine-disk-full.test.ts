import { Buffer } from "node:buffer";
import type { VMProvider } from "@vm/core";
import { createDockerVMProvider } from "@vm/provider-docker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrivateEngine } from "./private-engine.js";
import { RUN_LABEL, baseImage, failureOf } from "./support.js";

// The engine's own disk full: a private engine (scripts/docker-private-engine.sh) whose data
// root is a tmpfs of DATA_MIB, so the instances' root filesystems, the engine's layers and its
// commits all share one small disk. An instance fills it with `cat /dev/zero` until ENOSPC.
// Then every call that needs space fails with RESOURCE_EXHAUSTED (never INTERNAL, never a
// hang), leaves nothing behind (no partial file, no half-made snapshot or container), and once
// the filler is deleted the same calls work. The shared engine's disk is never touched.

// The base image is ~270 MB: room for it, its containers' small writable layers, and a commit.
const DATA_MIB = 700;
const MiB = 1024 * 1024;
const engine = createPrivateEngine({ dataMiB: DATA_MIB });
let provider: VMProvider;
const log: Record<string, unknown> = {};

beforeAll(async () => {
  await engine.start();
  await engine.load(baseImage());
  provider = createDockerVMProvider({ docker: { socketPath: engine.socketPath }, labels: { [RUN_LABEL]: "engine-disk-full" } });
}, 600_000);

afterAll(async () => {
  console.log(`[reliability] engine-disk-full: ${JSON.stringify(log)}`);
  await engine.destroy();
}, 300_000);


describe("the engine's disk full (a private engine on a small tmpfs)", () => {
  it("writes, snapshots and boots fail RESOURCE_EXHAUSTED and leave nothing behind; after freeing space they work", async () => {
    const vm = await provider.instances.boot(baseImage());
    await provider.files.writeFileAtomic(vm.id, "/tmp/keep.txt", "version 1");
    const fill = await provider.instances.exec(vm.id, ["sh", "-c", "cat /dev/zero > /var/tmp/fill"]);
    expect(fill.stderr).toContain("No space left on device");
    // (Without the provider's own per-exec file, which the listing's exec has while it runs.)
    const ls = async () => (await provider.instances.exec(vm.id, ["sh", "-c", "ls -A /tmp | grep -v '^.vm-exec-'"])).stdout;
    const tmpBefore = await ls();
    const snapshotsBefore = (await provider.snapshots.list()).length;
    const instancesBefore = (await provider.instances.list()).map((i) => i.id);

    const big = Buffer.alloc(4 * MiB, 3);
    const cases = {
      "writeFile (archive upload)": () => provider.files.writeFile(vm.id, "/tmp/new.bin", big),
      "writeFileAtomic over an existing file": () => provider.files.writeFileAtomic(vm.id, "/tmp/keep.txt", big),
      "snapshots.create (commit)": () => provider.snapshots.create(vm.id),
      "instances.boot": () => provider.instances.boot(baseImage()),
    };
    const outcomes: Record<string, string> = {};
    for (const [name, call] of Object.entries(cases)) {
      const r = await failureOf(call);
      outcomes[name] = `${r.code}: ${r.message}`;
    }
    log.outcomes = outcomes;
    for (const [name, outcome] of Object.entries(outcomes)) {
      expect(outcome, name).toMatch(/^RESOURCE_EXHAUSTED: .*no space left on device/i);
    }
    // Nothing half-made: no new file or temp file, the old content, no snapshot, no container.
    expect(await ls()).toBe(tmpBefore);
    expect(await provider.files.readFile(vm.id, "/tmp/keep.txt")).toBe("version 1");
    expect((await provider.snapshots.list()).length).toBe(snapshotsBefore);
    expect((await provider.instances.list()).map((i) => i.id)).toEqual(instancesBefore);

    // Space freed: the same calls work.
    await provider.files.deleteFile(vm.id, "/var/tmp/fill");
    await provider.files.writeFile(vm.id, "/tmp/new.bin", big);
    await provider.files.writeFileAtomic(vm.id, "/tmp/keep.txt", big);
    expect(Buffer.from(await provider.files.readFileBytes(vm.id, "/tmp/keep.txt")).equals(big)).toBe(true);
    const snapshot = await provider.snapshots.create(vm.id);
    const second = await provider.instances.boot(snapshot.id);
    expect(Buffer.from(await provider.files.readFileBytes(second.id, "/tmp/new.bin")).equals(big)).toBe(true);
    await provider.instances.terminate(second.id);
    await provider.instances.terminate(vm.id);
    await provider.snapshots.delete(snapshot.id);
  });
});
