// The file scripts inside a real container of the VM base image, over `docker exec`: the same
// bash, coreutils and argv limits a provider's instance has. Needs the Docker engine (the
// root `integration` project brings it up).
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import type { ExecFunction, ExecResult } from "@vm/core";
import { createExecFileService, isVMError } from "@vm/provider-kit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
  }
}

const run = promisify(execFile);
const ID = "container";
let container = "";

function dockerExec(options: { user?: string; count?: { n: number } } = {}): ExecFunction {
  return (_instanceId, argv, execOptions) =>
    new Promise<ExecResult>((resolve, reject) => {
      if (options.count) options.count.n++;
      const user = options.user === undefined ? [] : ["-u", options.user];
      const child = spawn("docker", ["exec", "-i", ...user, container, ...argv]);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.stdin.on("error", () => undefined);
      child.on("error", reject);
      child.on("close", (code) =>
        resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), exit_code: code ?? 1 }),
      );
      child.stdin.end(execOptions?.stdin ?? "");
    });
}

async function sh(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("docker", ["exec", container, "bash", "-c", script, "sh", ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isVMError(err)) return err.code;
    throw err;
  }
  return "RESOLVED";
}

function allBytes(size: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8) + seed) & 0xff;
  return bytes;
}

beforeAll(async () => {
  const { stdout } = await run("docker", ["run", "-d", "--network", "none", "--label", "dev.vm.test=provider-kit", inject("baseImage"), "sleep", "infinity"]);
  container = stdout.trim();
  await sh("mkdir -p /work && chmod 755 /work && mkdir -m 777 /work/nobody");
});

afterAll(async () => {
  if (container) await run("docker", ["rm", "-f", container]);
});

for (const stdin of [true, false]) {
  describe(`in a base-image container over docker exec (stdin: ${stdin})`, () => {
    const count = { n: 0 };
    const files = createExecFileService({ provider: "docker-cli", exec: dockerExec({ count }), stdin });
    const dir = `/work/mode-${stdin}`;

    it("every method works", async () => {
      await files.createDirectory(ID, `${dir}/a/b`, true);
      await files.writeFile(ID, `${dir}/a/b/f.txt`, "hello ✓\n");
      expect(await files.readFile(ID, `${dir}/a/b/f.txt`)).toBe("hello ✓\n");
      await files.writeFileAtomic(ID, `${dir}/cfg/app.json`, "{}", { createDirs: true, mode: "600", owner: "nobody", group: "nogroup" });
      expect(await sh('stat -c "%a %U %G" -- "$1"', `${dir}/cfg/app.json`)).toBe("600 nobody nogroup\n");
      await files.copyFile(ID, `${dir}/a/b/f.txt`, `${dir}/copy.txt`);
      await files.moveFile(ID, `${dir}/copy.txt`, `${dir}/moved.txt`);
      expect(await files.fileExists(ID, `${dir}/copy.txt`)).toBe(false);
      expect(await files.fileExists(ID, `${dir}/moved.txt`)).toBe(true);
      expect(await files.isDirectory(ID, `${dir}/a`)).toBe(true);
      const entries = await files.listDirectory(ID, dir);
      expect(entries.map((e) => [e.name, e.isDirectory])).toEqual([
        ["a", true],
        ["cfg", true],
        ["moved.txt", false],
      ]);
      await files.deleteFile(ID, `${dir}/moved.txt`);
      await files.deleteDirectory(ID, `${dir}/a`);
      expect((await files.listDirectory(ID, dir)).map((e) => e.name)).toEqual(["cfg"]);
      expect(await codeOf(files.readFile(ID, `${dir}/nope`))).toBe("NOT_FOUND");
      expect(await codeOf(files.deleteFile(ID, `${dir}/cfg`))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(files.createDirectory(ID, `${dir}/cfg`))).toBe("ALREADY_EXISTS");
    });

    it("1 MiB of every byte value, exact, in one exec per write", async () => {
      const data = allBytes(1024 * 1024, 1);
      const before = count.n;
      await files.writeFileAtomic(ID, `${dir}/bin`, data);
      expect(count.n - before).toBe(1);
      const back = await files.readFileBytes(ID, `${dir}/bin`);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
      expect(await sh('sha256sum < "$1"', `${dir}/bin`)).toMatch(/^[0-9a-f]{64}/);
    });

    it("8 MiB never fails because of its size", { timeout: 600_000 }, async () => {
      const data = allBytes(8 * 1024 * 1024, 2);
      const before = count.n;
      await files.writeFileAtomic(ID, `${dir}/big`, data);
      expect(count.n - before).toBe(stdin ? 1 : 8);
      expect(await sh('stat -c %s -- "$1"', `${dir}/big`)).toBe(`${8 * 1024 * 1024}\n`);
      const back = await files.readFileBytes(ID, `${dir}/big`);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
    });

    // Paths travel the same way in both modes; once is enough for the slow docker exec.
    if (stdin)
      it("hostile names are used literally and run nothing", async () => {
        // Names cannot hold "/": the commands would touch CANARY in whatever directory they ran in.
        const names = ["$(touch CANARY)", "`touch CANARY`", "'; touch CANARY; '", "new\nline", "-rf", "* ?", "ünï ✓"];
        for (const name of names) {
          await files.writeFileAtomic(ID, `${dir}/h/${name}`, name, { createDirs: true, mode: "644" });
          expect(await files.readFile(ID, `${dir}/h/${name}`)).toBe(name);
        }
        expect((await files.listDirectory(ID, `${dir}/h`)).map((e) => e.name).sort()).toEqual([...names].sort());
        expect(await sh("find / -xdev -name CANARY 2>/dev/null | wc -l")).toBe("0\n");
      });
  });
}

describe("as an unprivileged user in the container", () => {
  const files = createExecFileService({ provider: "docker-cli", exec: dockerExec({ user: "nobody" }), stdin: true });

  it("permission problems are PERMISSION_DENIED and a failed chown keeps the old file", async () => {
    expect(await codeOf(files.readFile(ID, "/etc/shadow"))).toBe("PERMISSION_DENIED");
    expect(await codeOf(files.writeFile(ID, "/etc/vm-kit-test", "x"))).toBe("PERMISSION_DENIED");
    expect(await codeOf(files.writeFileAtomic(ID, "/etc/hostname", "x"))).toBe("PERMISSION_DENIED");
    await files.writeFileAtomic(ID, "/work/nobody/f", "old");
    expect(await codeOf(files.writeFileAtomic(ID, "/work/nobody/f", "new", { owner: "root" }))).toBe("PERMISSION_DENIED");
    expect(await files.readFile(ID, "/work/nobody/f")).toBe("old");
    expect(await sh("ls -A /work/nobody")).toBe("f\n");
  });
});
