import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import type { VMProvider } from "@vm/core";
import { createDockerVMProvider } from "@vm/provider-docker";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_LABEL, baseImage, codeOf, failureOf } from "./support.js";

// Files on the instance's special filesystems, where the engine's archive API and a plain
// rename do not behave like a regular file on the root filesystem.
//
// A full file system in the instance: every write fails with RESOURCE_EXHAUSTED (never
// INTERNAL, never a success that lost bytes), nothing half-written is left behind, the file
// that was there keeps its content, and once space is freed the same calls work.
//
// The full file system is the instance's /dev/shm: a real tmpfs the engine gives every
// container (64 MiB), filled with `cat /dev/zero` until the kernel says ENOSPC. No mount or
// privilege is needed, and the engine's own disk is not touched.

const runId = randomUUID();
const docker = new Dockerode();
const MiB = 1024 * 1024;
const DIR = "/dev/shm";
const log: Record<string, unknown> = {};
let provider: VMProvider;
let id: string;

beforeAll(async () => {
  provider = createDockerVMProvider({ labels: { [RUN_LABEL]: runId } });
  id = (await provider.instances.boot(baseImage())).id;
}, 120_000);

afterAll(async () => {
  console.log(`[reliability] filesystems: ${JSON.stringify(log)}`);
  const containers = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
});

/** The names in /dev/shm, sorted (hidden temp files included). */
async function entries(): Promise<string[]> {
  const r = await provider.instances.exec(id, ["sh", "-c", `ls -A ${DIR} | sort`]);
  return r.stdout.split("\n").filter((l) => l !== "");
}

async function freeKiB(): Promise<number> {
  const r = await provider.instances.exec(id, ["sh", "-c", `df -k ${DIR} | awk 'NR==2 {print $4}'`]);
  return Number(r.stdout.trim());
}


describe("a full file system in the instance", () => {
  it("writeFileAtomic, writeFile and copyFile fail RESOURCE_EXHAUSTED, leave no partial or temp file and keep the old content; after freeing space they work", async () => {
    await provider.files.writeFileAtomic(id, `${DIR}/keep.txt`, "version 1");
    await provider.files.writeFileAtomic(id, `${DIR}/copy.txt`, "old copy");
    // The copies' source, on the instance's root filesystem (not full).
    const source = Buffer.alloc(MiB, 2);
    await provider.files.writeFile(id, "/tmp/source.bin", source);
    // Fill it: cat stops at ENOSPC (a non-zero exit is a result, not an error).
    const fill = await provider.instances.exec(id, ["sh", "-c", `cat /dev/zero > ${DIR}/fill`]);
    expect(fill.stderr).toContain("No space left on device");
    expect(await freeKiB()).toBe(0);
    const before = await entries();
    expect(before).toEqual(["copy.txt", "fill", "keep.txt"]);

    const big = Buffer.alloc(MiB, 1);
    const cases = {
      "writeFileAtomic over an existing file": () => provider.files.writeFileAtomic(id, `${DIR}/keep.txt`, big),
      "writeFileAtomic to a new file": () => provider.files.writeFileAtomic(id, `${DIR}/new-atomic.bin`, big),
      "writeFile to a new file": () => provider.files.writeFile(id, `${DIR}/new-plain.bin`, big),
      "copyFile over an existing file": () => provider.files.copyFile(id, "/tmp/source.bin", `${DIR}/copy.txt`),
      "copyFile to a new file": () => provider.files.copyFile(id, "/tmp/source.bin", `${DIR}/new-copy.txt`),
    };
    const outcomes: Record<string, string> = {};
    for (const [name, call] of Object.entries(cases)) {
      const r = await failureOf(call);
      outcomes[name] = `${r.code}: ${r.message}`;
      expect(r.code, `${name}: ${r.message}`).toBe("RESOURCE_EXHAUSTED");
      expect(r.message, name).toMatch(/no space left on device/i);
      // Nothing new in the directory: no partial file, no temp file.
      expect(await entries(), name).toEqual(before);
    }
    log.outcomes = outcomes;
    // The files that were there keep their content.
    expect(await provider.files.readFile(id, `${DIR}/keep.txt`)).toBe("version 1");
    expect(await provider.files.readFile(id, `${DIR}/copy.txt`)).toBe("old copy");
    // The instance itself is fine: commands and reads work on a full /dev/shm.
    expect((await provider.instances.exec(id, ["echo", "alive"])).stdout).toBe("alive\n");

    // Space freed: the same writes work.
    await provider.files.deleteFile(id, `${DIR}/fill`);
    await provider.files.writeFileAtomic(id, `${DIR}/keep.txt`, big);
    await provider.files.writeFile(id, `${DIR}/new-plain.bin`, big);
    await provider.files.copyFile(id, "/tmp/source.bin", `${DIR}/copy.txt`);
    expect(Buffer.from(await provider.files.readFileBytes(id, `${DIR}/keep.txt`)).equals(big)).toBe(true);
    expect(Buffer.from(await provider.files.readFileBytes(id, `${DIR}/new-plain.bin`)).equals(big)).toBe(true);
    expect(Buffer.from(await provider.files.readFileBytes(id, `${DIR}/copy.txt`)).equals(source)).toBe(true);
    // And the instance's processes see what the provider wrote (the engine's archive API does
    // not see /dev/shm: these go through exec).
    expect((await provider.instances.exec(id, ["sh", "-c", `wc -c < ${DIR}/new-plain.bin`])).stdout.trim()).toBe(String(MiB));
  });
});

describe("files on the filesystems mounted inside the instance (/dev/shm, /proc)", () => {
  it("writeFile and readFile see what the instance's processes see (the engine's archive API does not)", async () => {
    // Space, even if the test above failed before it freed it.
    await provider.instances.exec(id, ["rm", "-f", `${DIR}/fill`]);
    await provider.files.writeFile(id, `${DIR}/seen.txt`, "written by writeFile");
    expect((await provider.instances.exec(id, ["cat", `${DIR}/seen.txt`])).stdout).toBe("written by writeFile");
    await provider.instances.exec(id, ["sh", "-c", `echo written by exec > ${DIR}/made.txt`]);
    expect(await provider.files.readFile(id, `${DIR}/made.txt`)).toBe("written by exec\n");
    // Through a symbolic link in a parent directory: the engine resolves it in the image's
    // filesystem, where /dev/shm is an empty directory (it said NOT_FOUND).
    await provider.instances.exec(id, ["sh", "-c", `mkdir -p /tmp/links && ln -sfn ${DIR} /tmp/links/shm`]);
    expect(await provider.files.readFile(id, "/tmp/links/shm/made.txt")).toBe("written by exec\n");
    expect(await provider.files.readFile(id, "/tmp/links/shm/missing.txt").then(() => "ok", codeOf)).toBe("NOT_FOUND");
    // A kernel file: the engine's archive API said NOT_FOUND.
    const version = (await provider.instances.exec(id, ["cat", "/proc/version"])).stdout;
    expect(version).toMatch(/^Linux version /);
    expect(await provider.files.readFile(id, "/proc/version")).toBe(version);
  });
});

describe("the engine's bind-mounted files (/etc/hosts, /etc/resolv.conf, /etc/hostname)", () => {
  it("writeFile and copyFile write them in place; writeFileAtomic, moveFile onto and deleteFile of them are CONFLICT and change nothing", async () => {
    const etc = async () => (await provider.instances.exec(id, ["ls", "-A", "/etc"])).stdout;
    const etcBefore = await etc();
    const hosts = "127.0.0.1 localhost\n127.0.0.1 preview.internal\n";
    // The archive upload unlinks first, which a mount point refuses (it was UNAVAILABLE).
    await provider.files.writeFile(id, "/etc/hosts", hosts);
    expect((await provider.instances.exec(id, ["cat", "/etc/hosts"])).stdout).toBe(hosts);
    expect(await provider.files.readFile(id, "/etc/hosts")).toBe(hosts);
    await provider.files.writeFile(id, "/tmp/hosts.new", `${hosts}127.0.0.1 copied\n`);
    await provider.files.copyFile(id, "/tmp/hosts.new", "/etc/hosts");
    expect((await provider.instances.exec(id, ["cat", "/etc/hosts"])).stdout).toBe(`${hosts}127.0.0.1 copied\n`);
    // The copy's temp file went with it (it is copied in place, not renamed, on a mount point).
    expect(await etc()).toBe(etcBefore);

    const resolv = await provider.files.readFile(id, "/etc/resolv.conf");
    const hostname = await provider.files.readFile(id, "/etc/hostname");
    const refused = {
      // It was INTERNAL "I/O error": a rename over a mount point cannot be done.
      "writeFileAtomic /etc/hosts": () => provider.files.writeFileAtomic(id, "/etc/hosts", "127.0.0.1 atomic\n"),
      "moveFile onto /etc/resolv.conf": () => provider.files.moveFile(id, "/tmp/hosts.new", "/etc/resolv.conf"),
      "deleteFile /etc/hostname": () => provider.files.deleteFile(id, "/etc/hostname"),
    };
    for (const [name, call] of Object.entries(refused)) {
      const r = await failureOf(call);
      expect(r.code, `${name}: ${r.message}`).toBe("CONFLICT");
      expect(r.message, name).toMatch(/mount point/);
    }
    expect((await provider.instances.exec(id, ["cat", "/etc/hosts"])).stdout).toBe(`${hosts}127.0.0.1 copied\n`);
    expect(await provider.files.readFile(id, "/etc/resolv.conf")).toBe(resolv);
    expect(await provider.files.readFile(id, "/etc/hostname")).toBe(hostname);
    expect(await provider.files.fileExists(id, "/tmp/hosts.new")).toBe(true);
    // No temp file left beside /etc/hosts.
    expect(await etc()).toBe(etcBefore);
  });
});
