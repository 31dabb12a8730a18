import { createHash, randomBytes } from "node:crypto";
import type { BootedInstance } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseImage, createTestProvider } from "./helpers.js";

const { provider, docker, labels, cleanup } = createTestProvider();
let vm: BootedInstance;
const sha = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const MiB = 1024 * 1024;

beforeAll(async () => {
  vm = await provider.instances.boot(baseImage(), { metadata: { suite: "files" } });
});
afterAll(async () => {
  await cleanup();
});

describe("files", () => {
  it("round-trips 256 MiB with writeFile and writeFileAtomic (SHA-256 compared)", async () => {
    const big = randomBytes(256 * MiB);
    const expected = sha(big);
    let t = Date.now();
    await provider.files.writeFile(vm.id, "/root/big.bin", big);
    const wrote = Date.now() - t;
    t = Date.now();
    const back = await provider.files.readFileBytes(vm.id, "/root/big.bin");
    const read = Date.now() - t;
    expect(back.length).toBe(big.length);
    expect(sha(back)).toBe(expected);
    expect((await provider.instances.exec(vm.id, ["sha256sum", "/root/big.bin"])).stdout.split(" ")[0]).toBe(expected);
    t = Date.now();
    await provider.files.writeFileAtomic(vm.id, "/root/big-atomic.bin", big, { mode: "640" });
    const wroteAtomic = Date.now() - t;
    const backAtomic = await provider.files.readFileBytes(vm.id, "/root/big-atomic.bin");
    expect(sha(backAtomic)).toBe(expected);
    await provider.instances.exec(vm.id, ["rm", "-f", "/root/big.bin", "/root/big-atomic.bin"]);
    console.log(`256 MiB: writeFile ${wrote} ms, readFileBytes ${read} ms, writeFileAtomic ${wroteAtomic} ms`);
  }, 300_000);

  it("is binary-safe and decodes text as UTF-8", async () => {
    const every = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
    await provider.files.writeFile(vm.id, "/root/bytes.bin", every);
    expect(Buffer.from(await provider.files.readFileBytes(vm.id, "/root/bytes.bin"))).toEqual(Buffer.from(every));
    await provider.files.writeFile(vm.id, "/root/empty", "");
    expect(await provider.files.readFile(vm.id, "/root/empty")).toBe("");
    const text = "héllo wörld — ✓ 🚀\nline 2\n";
    await provider.files.writeFileAtomic(vm.id, "/root/text.txt", text);
    expect(await provider.files.readFile(vm.id, "/root/text.txt")).toBe(text);
    await provider.files.writeFile(vm.id, "/root/text.txt", "replaced");
    expect(await provider.files.readFile(vm.id, "/root/text.txt")).toBe("replaced");
    await provider.instances.exec(vm.id, ["ln", "-sf", "/root/text.txt", "/root/link"]);
    expect(await provider.files.readFile(vm.id, "/root/link")).toBe("replaced");
    const odd = "/root/odd name $(x) 'q' \"d\" ünï.txt";
    await provider.files.writeFile(vm.id, odd, "odd");
    expect(await provider.files.readFile(vm.id, odd)).toBe("odd");
    expect(await provider.files.fileExists(vm.id, odd)).toBe(true);
  });

  it("reads paths and link targets too long for a plain tar header (pax / GNU long names, unicode)", async () => {
    const dir = `/root/${"ü-long-directory-name/".repeat(6)}`;
    // The archive's entry name is the base name: 137 bytes, past ustar's 100.
    const path = `${dir}ファイル-${"n".repeat(120)}.txt`;
    await provider.instances.exec(vm.id, ["mkdir", "-p", dir]);
    await provider.files.writeFile(vm.id, path, "long path ✓");
    expect(await provider.files.readFile(vm.id, path)).toBe("long path ✓");
    await provider.instances.exec(vm.id, ["ln", "-sf", path, "/root/long-link"]);
    expect(await provider.files.readFile(vm.id, "/root/long-link")).toBe("long path ✓");
  });

  it("writeFileAtomic applies mode, owner and group and creates directories", async () => {
    await provider.files.writeFileAtomic(vm.id, "/srv/a/b/config.json", "{}", { createDirs: true, mode: "600", owner: "nobody", group: "nogroup" });
    const { stdout } = await provider.instances.exec(vm.id, ["stat", "-c", "%a %U %G %s", "/srv/a/b/config.json"]);
    expect(stdout.trim()).toBe("600 nobody nogroup 2");
    await expect(provider.files.writeFileAtomic(vm.id, "/srv/missing/x.json", "{}")).rejects.toMatchObject({ code: "NOT_FOUND" });
    // No temp file is left behind, after success or failure.
    expect((await provider.files.listDirectory(vm.id, "/srv/a/b")).map((e) => e.name)).toEqual(["config.json"]);
  });

  it("writeFileAtomic never shows a partial file to a concurrent reader", async () => {
    const a = Buffer.alloc(4 * MiB, "a");
    const b = Buffer.alloc(4 * MiB, "b");
    const allowed = new Set([sha(a), sha(b)]);
    await provider.files.writeFileAtomic(vm.id, "/root/swap.bin", a);
    const reader = provider.instances.exec(vm.id, [
      "bash",
      "-c",
      'end=$((SECONDS+4)); while [ $SECONDS -lt $end ]; do sha256sum /root/swap.bin | cut -d" " -f1; done | sort | uniq',
    ]);
    for (let i = 0; i < 6; i++) await provider.files.writeFileAtomic(vm.id, "/root/swap.bin", i % 2 ? a : b);
    const seen = (await reader).stdout.trim().split("\n");
    expect(seen.length).toBeGreaterThan(0);
    for (const hash of seen) expect(allowed.has(hash)).toBe(true);
  });

  it("implements every other file operation", async () => {
    const { files } = provider;
    await files.createDirectory(vm.id, "/work/x/y", true);
    await files.createDirectory(vm.id, "/work/x/y", true);
    await expect(files.createDirectory(vm.id, "/work/none/z", false)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await files.isDirectory(vm.id, "/work/x/y")).toBe(true);
    await files.writeFile(vm.id, "/work/x/a.txt", "12345");
    expect(await files.isDirectory(vm.id, "/work/x/a.txt")).toBe(false);
    expect(await files.isDirectory(vm.id, "/work/nope")).toBe(false);
    await files.copyFile(vm.id, "/work/x/a.txt", "/work/x/b.txt");
    await files.moveFile(vm.id, "/work/x/b.txt", "/work/x/y/c.txt");
    expect(await files.fileExists(vm.id, "/work/x/b.txt")).toBe(false);
    expect(await files.readFile(vm.id, "/work/x/y/c.txt")).toBe("12345");
    const listing = await files.listDirectory(vm.id, "/work/x");
    expect(listing.map((e) => [e.name, e.path, e.isDirectory]).sort()).toEqual([
      ["a.txt", "/work/x/a.txt", false],
      ["y", "/work/x/y", true],
    ]);
    const a = listing.find((e) => e.name === "a.txt")!;
    expect(a.size).toBe(5);
    expect(a.modified).toBeInstanceOf(Date);
    expect(Math.abs(a.modified!.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    await expect(files.deleteFile(vm.id, "/work/x/y")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await files.deleteFile(vm.id, "/work/x/a.txt");
    await expect(files.deleteFile(vm.id, "/work/x/a.txt")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await files.deleteDirectory(vm.id, "/work/x");
    expect(await files.fileExists(vm.id, "/work/x")).toBe(false);
    await expect(files.deleteDirectory(vm.id, "/work/x")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("maps missing files, directories and bad input to error codes", async () => {
    const { files } = provider;
    await expect(files.readFile(vm.id, "/no/such/file")).rejects.toMatchObject({ code: "NOT_FOUND", provider: "docker" });
    await expect(files.readFileBytes(vm.id, "/root/nope.bin")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(files.readFile(vm.id, "/etc")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(files.writeFile(vm.id, "/no/such/dir/file.txt", "x")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await files.createDirectory(vm.id, "/root/adir", true);
    await files.writeFile(vm.id, "/root/adir/keep.txt", "keep");
    await expect(files.writeFile(vm.id, "/root/adir", "x")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(files.writeFile(vm.id, "/root/adir/keep.txt/x", "x")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(await files.readFile(vm.id, "/root/adir/keep.txt")).toBe("keep");
    await expect(files.writeFile(vm.id, "relative.txt", "x")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(files.writeFile(vm.id, "/root/x", 42 as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(files.writeFileAtomic(vm.id, "/root/x", "x", { mode: "999" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(files.readFile("0123456789abcdef0123", "/etc/hostname")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await files.fileExists(vm.id, "/no/such/file")).toBe(false);
  });

  it("reports PERMISSION_DENIED when the instance's user may not touch a path", async () => {
    // An image whose default user is nobody: exec-based file operations run as that user.
    const source = await docker.createContainer({ Image: baseImage(), Cmd: ["true"], Labels: labels });
    let imageId: string;
    try {
      const committed = (await source.commit({ _query: { container: source.id, pause: false }, _body: { User: "nobody", Labels: labels } })) as { Id: string };
      imageId = committed.Id;
    } finally {
      await source.remove({ force: true });
    }
    await using unprivileged = await provider.instances.boot(imageId);
    expect((await provider.instances.exec(unprivileged.id, ["id", "-un"])).stdout.trim()).toBe("nobody");
    await expect(provider.files.writeFileAtomic(unprivileged.id, "/root/denied.txt", "x")).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(provider.files.listDirectory(unprivileged.id, "/root")).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(provider.files.deleteFile(unprivileged.id, "/etc/hostname")).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
  });
});
