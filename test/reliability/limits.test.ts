import { createHash, randomUUID } from "node:crypto";
import { constants as bufferConstants } from "node:buffer";
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, MAX_FORK_COUNT } from "@vm/provider-docker";
import { ARG_MAX_BYTES, execWrapperArgv } from "@vm/provider-docker/internal";
import type { VMProvider } from "@vm/core";
import { DEFAULT_MAX_READ_BYTES, MAX_ARGUMENT_BYTES, MAX_COMMAND_BYTES, MAX_ID_LENGTH, MAX_NAME_BYTES, MAX_PATH_BYTES, commandBytes, isVMError } from "@vm/provider-kit";
import { MORPH_DEFAULT_MAX_REQUEST_BYTES, MORPH_MAX_COMMAND_LINE_BYTES, MORPH_MAX_REQUEST_BYTES, createMorphVMProvider } from "@vm/provider-morph";
import { buildExecCommand, toShellLine } from "@vm/provider-morph/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMorphEmulator, type ReliabilityEmulator } from "./morph-emulator.js";
import { RUN_LABEL, baseImage, createCountedDockerProvider, testImages } from "./support.js";

// Every documented limit, on the real engine: at the limit it works (exactly), one past it is
// a VMError with the right code and a message naming the limit, and nothing is left behind
// (no engine request for limits checked up front, no process for limits hit while running).
// One shared instance; the providers with small limits work on the same instance.

const KiB = 1024;
const MiB = 1024 * KiB;

const docker = createCountedDockerProvider();
const tinyOutput = createCountedDockerProvider({ maxOutputBytes: 1000 });
const smallFiles = createCountedDockerProvider({ maxFileBytes: MiB });
const { provider } = docker;
let vm = "";

beforeAll(async () => {
  vm = (await provider.instances.boot(baseImage(), { metadata: { suite: "reliability-limits" } })).id;
});

afterAll(async () => {
  await Promise.all([docker.cleanup(), tinyOutput.cleanup(), smallFiles.cleanup()]);
});

/** Runs `work`, which must reject with a VMError of `code` without a single engine request; returns the message. */
async function rejectedBeforeAnyCall(counted: { calls: () => number }, code: string, work: () => Promise<unknown>): Promise<string> {
  const before = counted.calls();
  const err = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVMError(err), `expected a VMError, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  expect(counted.calls() - before, "engine requests made before the rejection").toBe(0);
  return (err as Error).message;
}

/** The rejection of `work` (a VMError), or a failure when it resolved or hung past `ms` (a liveness bound). */
async function rejection(work: Promise<unknown>, ms = 90_000): Promise<{ code: string; message: string }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), ms);
  });
  try {
    const outcome = await Promise.race([work.then(() => "resolved" as const, (err: unknown) => ({ err })), hung]);
    if (outcome === "hung" || outcome === "resolved") throw new Error(`expected a rejection, the call ${outcome}`);
    expect(isVMError(outcome.err), `expected a VMError, got ${String(outcome.err)}`).toBe(true);
    return { code: (outcome.err as { code: string }).code, message: (outcome.err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Processes in the VM whose command line holds `marker` (the probe itself excluded). */
async function processesMatching(marker: string): Promise<string[]> {
  const { stdout } = await provider.instances.exec(vm, ["ps", "-eo", "pid=,args="]);
  return stdout.split("\n").filter((line) => line.includes(marker) && !line.includes("ps -eo"));
}

/** An absolute path of exactly `bytes` bytes under `base`, made of names of `name` bytes (the last one shorter). */
function pathOf(base: string, bytes: number, name = MAX_NAME_BYTES): string {
  let path = base;
  while (bytes - path.length > name + 1) path += `/${"d".repeat(name)}`;
  return `${path}/${"f".repeat(bytes - path.length - 1)}`;
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

describe("Docker: exec", () => {
  it("output: exactly maxOutputBytes (stdout + stderr) is returned whole; one byte more is INVALID_ARGUMENT naming the limit, the command killed", async () => {
    const exact = await tinyOutput.provider.instances.exec(vm, ["sh", "-c", "head -c 600 /dev/zero | tr '\\0' o; head -c 400 /dev/zero | tr '\\0' e >&2"]);
    expect(exact).toEqual({ stdout: "o".repeat(600), stderr: "e".repeat(400), exit_code: 0 });
    // Over the cap, and still running: the command must be killed, not left behind. Several
    // rounds: this used to hang (the socket was paused while the kill exec waited on it).
    for (let round = 0; round < 4; round++) {
      const past = await rejection(tinyOutput.provider.instances.exec(vm, ["sh", "-c", "head -c 600 /dev/zero; head -c 401 /dev/zero >&2; exec sleep 7101"]));
      expect(past).toEqual({
        code: "INVALID_ARGUMENT",
        message: "the command printed more than maxOutputBytes (1000 bytes) and was killed; use execStream for large output or raise maxOutputBytes",
      });
    }
    expect(await processesMatching("sleep 7101")).toEqual([]);
  });

  it("output: the default cap is 64 MiB exactly", async () => {
    expect(DEFAULT_MAX_OUTPUT_BYTES).toBe(64 * MiB);
    const exact = await provider.instances.exec(vm, ["head", "-c", String(64 * MiB), "/dev/zero"]);
    expect({ length: exact.stdout.length, exit_code: exact.exit_code }).toEqual({ length: 64 * MiB, exit_code: 0 });
    const past = await rejection(provider.instances.exec(vm, ["sh", "-c", `head -c ${64 * MiB + 1} /dev/zero; exec sleep 7102`]));
    expect(past.code).toBe("INVALID_ARGUMENT");
    expect(past.message).toContain(`maxOutputBytes (${64 * MiB} bytes)`);
    expect(await processesMatching("sleep 7102")).toEqual([]);
  });

  it("timeoutMs: 1 to 2147483647 accepted; outside that INVALID_ARGUMENT before any request", async () => {
    expect(await provider.instances.exec(vm, ["true"], { timeoutMs: 2_147_483_647 })).toEqual({ stdout: "", stderr: "", exit_code: 0 });
    for (const timeoutMs of [0, 2_147_483_648, 1.5]) {
      expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.instances.exec(vm, ["true"], { timeoutMs }))).toMatch(
        /^timeoutMs must be a whole number from 1 to 2147483647, got /,
      );
    }
  });

  it("timeoutMs: a command within it returns; one that outlives it is TIMEOUT naming the limit and is killed, even when the timer fires before the engine started it", async () => {
    expect((await provider.instances.exec(vm, ["sh", "-c", "sleep 0.2; echo done"], { timeoutMs: 60_000 })).stdout).toBe("done\n");
    expect(await rejection(provider.instances.exec(vm, ["sh", "-c", "sleep 7201 & exec sleep 7202"], { timeoutMs: 500 }))).toEqual({
      code: "TIMEOUT",
      message: "the command ran longer than 500 ms and was killed",
    });
    for (let round = 0; round < 3; round++) {
      expect((await rejection(provider.instances.exec(vm, ["sh", "-c", "exec sleep 7203"], { timeoutMs: 1 }))).code).toBe("TIMEOUT");
    }
    expect(await processesMatching("sleep 720")).toEqual([]);
  });

  it("argv: one argument of 131071 bytes and one NAME=value of 131071 bytes arrive whole; one byte more is INVALID_ARGUMENT before any request", async () => {
    expect(MAX_ARGUMENT_BYTES).toBe(131_071);
    const arg = "a".repeat(MAX_ARGUMENT_BYTES);
    const value = "v".repeat(MAX_ARGUMENT_BYTES - "V=".length);
    const r = await provider.instances.exec(vm, ["sh", "-c", 'printf %s "$1" | wc -c; printf %s "$V" | wc -c', "sh", arg], { env: { V: value } });
    expect(r.stdout).toBe(`${MAX_ARGUMENT_BYTES}\n${value.length}\n`);
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.instances.exec(vm, ["printf", `${arg}a`]))).toBe(
      "argv[1] is 131072 bytes; one argument may be at most 131071 bytes (Linux MAX_ARG_STRLEN)",
    );
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.instances.exec(vm, ["true"], { env: { V: `${value}v` } }))).toBe(
      "env entry V=... is 131072 bytes; one entry may be at most 131071 bytes (Linux MAX_ARG_STRLEN)",
    );
  });

  it("argv + env: exactly MAX_COMMAND_BYTES runs with every byte intact; one byte more is INVALID_ARGUMENT before any request", async () => {
    expect(MAX_COMMAND_BYTES).toBe(2 * MiB - 64 * KiB);
    const head = ["sh", "-c", 'printf %s "$@" | sha256sum; printf %s "$FILL" | wc -c', "sh"];
    const pieces = Array.from({ length: 15 }, (_, i) => String.fromCharCode(97 + i).repeat(130_000));
    const env = { FILL: "" };
    const room = MAX_COMMAND_BYTES - commandBytes([...head, ...pieces], env);
    env.FILL = "f".repeat(room);
    expect(commandBytes([...head, ...pieces], env)).toBe(MAX_COMMAND_BYTES);
    const r = await provider.instances.exec(vm, [...head, ...pieces], { env });
    expect(r).toEqual({ stdout: `${sha256(pieces.join(""))}  -\n${room}\n`, stderr: "", exit_code: 0 });
    const message = await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.instances.exec(vm, [...head, ...pieces], { env: { FILL: `${env.FILL}f` } }));
    expect(message).toMatch(new RegExp(`^argv and env take ${MAX_COMMAND_BYTES + 1} bytes .*; the limit is ${MAX_COMMAND_BYTES} bytes \\(Linux ARG_MAX`));
  });
});

describe("Docker: an image whose own environment is large", () => {
  it("argv + env with a 256 KiB image ENV: exactly the room left by ARG_MAX runs with every byte intact; one byte more is INVALID_ARGUMENT before the exec is created", async () => {
    // The image's ENV is inherited by every exec and counts against the same 2 MiB. Before the
    // check, a command that fit MAX_COMMAND_BYTES but not with this ENV ran as exit code 1
    // "argument list too long", a result.
    const imageEnv = ["BIG_A", "BIG_B", "BIG_C", "BIG_D"].map((name) => `${name}=${"e".repeat(64 * KiB)}`);
    const container = await docker.docker.createContainer({ Image: baseImage(), Env: imageEnv, Labels: { [RUN_LABEL]: docker.runId } });
    const image = (await container.commit({ repo: "vm-limits-big-env", tag: docker.runId.slice(0, 8) })) as { Id: string };
    await container.remove();
    const big = (await provider.instances.boot(image.Id)).id;
    const env = (await docker.docker.getContainer(big).inspect()).Config.Env;
    expect(env.filter((e) => e.startsWith("BIG_"))).toEqual(imageEnv);

    const limit = ARG_MAX_BYTES - 4 * KiB;
    // The wrapper's argv for an exec without cwd or timeoutMs, and the kill tag in its env.
    const wrapper = [...execWrapperArgv([], {}), `VM_EXEC_ID=${"0".repeat(36)}`];
    const head = ["sh", "-c", 'printf %s "$@" | sha256sum', "sh"];
    const pieces = Array.from({ length: 15 }, (_, i) => String.fromCharCode(97 + i).repeat(120_000));
    const room = limit - commandBytes([...wrapper, ...head, ...pieces]) - commandBytes(env) - 9;
    pieces.push("z".repeat(room));
    expect(commandBytes([...wrapper, ...head, ...pieces]) + commandBytes(env)).toBe(limit);
    expect(commandBytes([...head, ...pieces]), "within MAX_COMMAND_BYTES: only the image's ENV makes it too big").toBeLessThan(MAX_COMMAND_BYTES);

    const r = await provider.instances.exec(big, [...head, ...pieces]);
    expect(r).toEqual({ stdout: `${sha256(pieces.join(""))}  -\n`, stderr: "", exit_code: 0 });
    const over = [...head, ...pieces.slice(0, -1), `${pieces.at(-1)}z`];
    const message = await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.instances.exec(big, over));
    expect(message).toBe(
      `argv and env take ${limit + 1} bytes with the provider's wrapper and the instance's own environment (its image's ENV: ${commandBytes(env)} bytes); the limit is ${limit} bytes (Linux ARG_MAX, 2 MiB, less 4096 bytes for what the engine adds)`,
    );
    // The same through a file operation that runs a command (the kit's exec scripts), and a stream.
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", async () => {
      for await (const chunk of provider.instances.execStream(big, over)) void chunk;
    })).toBe(message.replace("instances.exec", "instances.execStream"));
    await provider.instances.terminate(big);
  });
});

describe("Docker: files", () => {
  it("paths: 4095 bytes with 255-byte names work in every file operation; 4096 bytes or a 256-byte name is INVALID_ARGUMENT before any request", async () => {
    expect({ MAX_PATH_BYTES, MAX_NAME_BYTES }).toEqual({ MAX_PATH_BYTES: 4095, MAX_NAME_BYTES: 255 });
    const base = "/tmp/limits-paths";
    const path = pathOf(base, MAX_PATH_BYTES);
    const parent = path.slice(0, path.lastIndexOf("/"));
    const sibling = `${parent}/${"g".repeat(path.length - parent.length - 1)}`;
    expect([Buffer.byteLength(path), Buffer.byteLength(sibling)]).toEqual([4095, 4095]);
    const files = provider.files;
    await files.writeFileAtomic(vm, path, "atomic", { createDirs: true, mode: "640" });
    expect(await files.readFile(vm, path)).toBe("atomic");
    await files.writeFile(vm, path, new Uint8Array([0, 1, 2, 255]));
    expect([...(await files.readFileBytes(vm, path))]).toEqual([0, 1, 2, 255]);
    await files.copyFile(vm, path, sibling);
    expect((await files.listDirectory(vm, parent)).map((e) => e.path)).toEqual([path, sibling]);
    await files.deleteFile(vm, path);
    await files.moveFile(vm, sibling, path);
    expect([await files.fileExists(vm, path), await files.fileExists(vm, sibling), await files.isDirectory(vm, parent)]).toEqual([true, false, true]);
    const name255 = `/tmp/${"n".repeat(MAX_NAME_BYTES)}`;
    await files.writeFile(vm, name255, "255");
    expect(await files.readFile(vm, name255)).toBe("255");
    await files.deleteFile(vm, name255);

    const tooLong = pathOf(base, MAX_PATH_BYTES + 1);
    const longName = `/tmp/${"n".repeat(MAX_NAME_BYTES + 1)}`;
    const attempts: [string, () => Promise<unknown>][] = [
      ["writeFileAtomic", () => files.writeFileAtomic(vm, tooLong, "x", { createDirs: true })],
      ["writeFile", () => files.writeFile(vm, tooLong, "x")],
      ["readFile", () => files.readFile(vm, tooLong)],
      ["readFileBytes", () => files.readFileBytes(vm, tooLong)],
      ["fileExists", () => files.fileExists(vm, tooLong)],
      ["createDirectory", () => files.createDirectory(vm, tooLong, true)],
      ["copyFile", () => files.copyFile(vm, path, tooLong)],
      ["exec cwd", () => provider.instances.exec(vm, ["pwd"], { cwd: tooLong })],
    ];
    for (const [what, work] of attempts) {
      expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", work), what).toMatch(/^(path|destination|cwd) is 4096 bytes; the limit is 4095 bytes \(Linux PATH_MAX\)$/);
    }
    for (const work of [() => files.writeFileAtomic(vm, longName, "x"), () => files.writeFile(vm, longName, "x"), () => files.readFile(vm, longName)]) {
      expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", work)).toMatch(/^path has a name of 256 bytes .*; the limit is 255 bytes per name \(Linux NAME_MAX\)$/);
    }
    // Nothing was created past the limit; the valid tree goes away.
    expect((await files.listDirectory(vm, parent)).map((e) => e.path)).toEqual([path]);
    await files.deleteDirectory(vm, base);
  });

  it("reads: exactly maxFileBytes is read; one byte more is INVALID_ARGUMENT naming maxFileBytes (from the archive header: nothing is downloaded)", async () => {
    await provider.instances.exec(vm, ["sh", "-c", `head -c ${MiB} /dev/urandom > /tmp/limit-exact && cp /tmp/limit-exact /tmp/limit-past && printf x >> /tmp/limit-past`]);
    const exact = await smallFiles.provider.files.readFileBytes(vm, "/tmp/limit-exact");
    expect(exact.length).toBe(MiB);
    expect((await provider.instances.exec(vm, ["sha256sum", "/tmp/limit-exact"])).stdout.split(" ")[0]).toBe(sha256(exact));
    for (const read of [() => smallFiles.provider.files.readFileBytes(vm, "/tmp/limit-past"), () => smallFiles.provider.files.readFile(vm, "/tmp/limit-past")]) {
      const past = await rejection(read());
      expect(past.code).toBe("INVALID_ARGUMENT");
      expect(past.message).toMatch(/: the file is 1048577 bytes, more than maxFileBytes \(1048576 bytes\)$/);
    }
    // The default, 1 GiB, against a sparse 100 GiB file: refused before a single byte is allocated.
    expect(DEFAULT_MAX_FILE_BYTES).toBe(1024 * MiB);
    await provider.instances.exec(vm, ["truncate", "-s", "100G", "/tmp/limit-huge"]);
    const huge = await rejection(provider.files.readFileBytes(vm, "/tmp/limit-huge"));
    expect(huge).toEqual({ code: "INVALID_ARGUMENT", message: `files.readFileBytes "/tmp/limit-huge": the file is ${100 * 1024 * MiB} bytes, more than maxFileBytes (${1024 * MiB} bytes)` });
    await provider.instances.exec(vm, ["rm", "-f", "/tmp/limit-exact", "/tmp/limit-past", "/tmp/limit-huge"]);
  });

  it("readFile: a file of exactly the longest string V8 holds is read; one byte more is INVALID_ARGUMENT pointing to readFileBytes", async () => {
    const max = bufferConstants.MAX_STRING_LENGTH;
    await provider.instances.exec(vm, ["sh", "-c", `truncate -s ${max} /tmp/limit-string && truncate -s ${max + 1} /tmp/limit-string-past`]);
    const text = await provider.files.readFile(vm, "/tmp/limit-string");
    expect(text.length).toBe(max);
    const past = await rejection(provider.files.readFile(vm, "/tmp/limit-string-past"));
    expect(past).toEqual({
      code: "INVALID_ARGUMENT",
      message: `files.readFile "/tmp/limit-string-past": the file is ${max + 1} bytes, more than the longest string V8 can hold (${max} bytes); use readFileBytes`,
    });
    await provider.instances.exec(vm, ["rm", "-f", "/tmp/limit-string", "/tmp/limit-string-past"]);
  });

  it("symbolic links: followed as the kernel follows them, a chain of 40; 41 is INVALID_ARGUMENT (ELOOP)", async () => {
    await provider.instances.exec(vm, ["bash", "-c", "mkdir -p /tmp/links && cd /tmp/links && echo target > l0 && for i in $(seq 1 41); do ln -s l$((i-1)) l$i; done"]);
    expect(await provider.files.readFile(vm, "/tmp/links/l40")).toBe("target\n");
    const loop = await rejection(provider.files.readFile(vm, "/tmp/links/l41"));
    expect(loop.code).toBe("INVALID_ARGUMENT");
    expect(loop.message).toContain('files.readFile "/tmp/links/l41": too many levels of symbolic links');
    await provider.files.deleteDirectory(vm, "/tmp/links");
  });
});

describe("Docker: ids, names and counts", () => {
  it("ids: 256 characters is a well-formed id (NOT_FOUND); 257 is INVALID_ARGUMENT before any request", async () => {
    expect(MAX_ID_LENGTH).toBe(256);
    expect((await rejection(provider.instances.get("i".repeat(256)))).code).toBe("NOT_FOUND");
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.instances.get("i".repeat(257)))).toBe("instanceId is 257 characters; the limit is 256");
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.files.readFile("i".repeat(257), "/etc/hostname"))).toBe("instanceId is 257 characters; the limit is 256");
  });

  it("user names: 32 characters is a well-formed name (NOT_FOUND in this VM); 33 is INVALID_ARGUMENT before any request", async () => {
    expect((await rejection(provider.instances.exec(vm, ["id"], { user: `u${"x".repeat(31)}` }))).code).toBe("NOT_FOUND");
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.instances.exec(vm, ["id"], { user: `u${"x".repeat(32)}` }))).toMatch(
      /^user must be a user\/group name of at most 32 characters /,
    );
  });

  it("fork count: 32 forks boot, each its own instance; 0 and 33 are INVALID_ARGUMENT before any request", async () => {
    expect(MAX_FORK_COUNT).toBe(32);
    const forks = await provider.instances.fork(vm, MAX_FORK_COUNT);
    try {
      expect(forks.map((f) => f.status)).toEqual(Array.from({ length: 32 }, () => "ready"));
      const hostnames = await Promise.all(forks.map(async (f) => (await provider.instances.exec(f.id, ["cat", "/etc/hostname"])).stdout));
      const parent = (await provider.instances.exec(vm, ["cat", "/etc/hostname"])).stdout;
      expect(new Set([...hostnames, parent]).size).toBe(33);
    } finally {
      await Promise.all(forks.map((f) => provider.instances.terminate(f.id)));
    }
    for (const count of [0, MAX_FORK_COUNT + 1]) {
      expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.instances.fork(vm, count))).toBe(`count must be a whole number from 1 to 32, got number ${count}`);
    }
  });
});

describe("Docker: PM2 processes", () => {
  const name = `p${"1".repeat(99)}`;

  it("a 100-character name and an ecosystem config of exactly 1 MiB (base64) start; 101 characters or 4 bytes more are INVALID_ARGUMENT before any request", async () => {
    const processes = provider.processes;
    // Eight env entries under the per-entry limit fill the config; the exact filler length is
    // read back from the size the rejection reports (base64 grows in steps of 4 per 3 bytes).
    const envOf = (fill: number) => Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`FILL_${i}`, "z".repeat(i === 0 ? fill : 100_000)]));
    const start = (fill: number) => processes.start(vm, "sleep", { name, args: ["7301"], env: envOf(fill) });
    const encodedSize = async (fill: number) => Number(/\((\d+) bytes encoded, at most 1048576\)/.exec(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => start(fill)))?.[1]);
    // Find a filler whose JSON is a multiple of 3 bytes (the next byte adds a base64 quad), well past the limit.
    let fill = 100_000;
    while ((await encodedSize(fill + 1)) === (await encodedSize(fill))) fill++;
    const json = ((await encodedSize(fill)) / 4) * 3;
    const exact = fill - (json - (1024 * 1024 * 3) / 4);
    const workers = await start(exact);
    expect(workers.map((w) => [w.name, w.status])).toEqual([[name, "online"]]);
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => start(exact + 1))).toContain("(1048580 bytes encoded, at most 1048576)");
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => processes.start(vm, "sleep", { name: `${name}1`, args: ["7302"] }))).toContain("at most 100 characters");
    // Nothing half-started: only the valid process runs.
    expect((await processes.list(vm)).map((p) => p.name)).toEqual([name]);
  });

  it("logs: 100000 lines works; 100001 is INVALID_ARGUMENT before any request", async () => {
    const logs = await provider.processes.logs(vm, name, 100_000);
    expect(logs).toEqual({ out: "", err: "" });
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.processes.logs(vm, name, 100_001))).toBe(
      "lines must be a whole number from 1 to 100000, got number 100001",
    );
  });

  it("instances: 256 workers start; 257 is INVALID_ARGUMENT before any request", async () => {
    const workers = await provider.processes.start(vm, "sleep", { name: "many", args: ["7303"], instances: 256 });
    expect(workers.length).toBe(256);
    expect((await processesMatching("sleep 7303")).length).toBe(256);
    expect(await rejectedBeforeAnyCall(docker, "INVALID_ARGUMENT", () => provider.processes.start(vm, "sleep", { name: "many", args: ["1"], instances: 257 }))).toBe(
      "instances must be a whole number from 1 to 256, got number 257",
    );
    await provider.processes.deleteAll(vm);
    expect(await processesMatching("sleep 730")).toEqual([]);
  });
});


// Morph over the emulator (real HTTP, real containers): where Morph's limits differ (no stdin:
// env and stdin travel in the exec's argv; files go through exec in argv chunks; fork up to 64)
// or must hold over its transport. "Before any request" means the emulator logged none.
describe("Morph (emulator)", () => {
  let emu: ReliabilityEmulator;
  let morph: VMProvider;
  let mvm = "";

  beforeAll(async () => {
    emu = await startMorphEmulator(testImages());
    morph = createMorphVMProvider({ baseUrl: emu.apiUrl, apiKey: emu.apiKey });
    // PM2 calls run in this VM: the emulator's vm-base image has it (morphvm-minimal, like Morph's, has no Node or PM2).
    const snapshot = await morph.snapshots.fromImage("vm-base", { digest: "reliability-limits" });
    mvm = (await morph.instances.boot(snapshot.id, { metadata: { suite: "reliability-limits" } })).id;
  });

  afterAll(async () => {
    await emu?.stop();
  });

  async function rejectedBeforeAnyRequest(code: string, work: () => Promise<unknown>): Promise<string> {
    const before = (await emu.requests()).length;
    const err = await work().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isVMError(err), `expected a VMError, got ${String(err)}`).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    expect((await emu.requests()).length - before, "requests sent before the rejection").toBe(0);
    return (err as Error).message;
  }

  async function morphProcesses(marker: string): Promise<string[]> {
    const { stdout } = await morph.instances.exec(mvm, ["ps", "-eo", "pid=,args="]);
    return stdout.split("\n").filter((line) => line.includes(marker) && !line.includes("ps -eo"));
  }

  // Every Morph exec is one quoted shell line (exec runs "via SSH"), which the VM's shell gets as
  // one argument: the whole command, wrapper and kill id included, is at most 131071 bytes.
  // Every exec carries a kill id (a UUID: 36 characters) in the wrapper's argv.
  const lineBytes = (argv: string[], options?: Parameters<typeof buildExecCommand>[1]) => Buffer.byteLength(toShellLine(buildExecCommand(argv, options, randomUUID())));

  it("exec: a command whose shell line is exactly MORPH_MAX_COMMAND_LINE_BYTES arrives whole; one byte more is INVALID_ARGUMENT before any request", async () => {
    expect(MORPH_MAX_COMMAND_LINE_BYTES).toBe(128 * KiB - 1);
    const argv = (n: number) => ["sh", "-c", 'printf %s "$1" | wc -c', "sh", "m".repeat(n)];
    const room = MORPH_MAX_COMMAND_LINE_BYTES - lineBytes(argv(0));
    expect(lineBytes(argv(room))).toBe(MORPH_MAX_COMMAND_LINE_BYTES);
    expect((await morph.instances.exec(mvm, argv(room))).stdout).toBe(`${room}\n`);
    expect(await rejectedBeforeAnyRequest("INVALID_ARGUMENT", () => morph.instances.exec(mvm, argv(room + 1)))).toMatch(
      new RegExp(`^argv, env and stdin \\(as base64\\) in the exec command take ${MORPH_MAX_COMMAND_LINE_BYTES + 1} bytes as one shell line; the limit is ${MORPH_MAX_COMMAND_LINE_BYTES} bytes`),
    );
  });

  it("exec: argv, env and stdin (base64 in the wrapper's argv) filling the one shell line run with stdin intact; one byte more is INVALID_ARGUMENT before any request", async () => {
    const argv = ["sha256sum"];
    const stdin = new Uint8Array(64 * KiB).map((_, i) => (i * 31) % 251);
    const sized = (fill: number) => ({ stdin, env: { FILL: "f".repeat(fill) } });
    const room = MORPH_MAX_COMMAND_LINE_BYTES - lineBytes(argv, sized(0));
    expect(room).toBeGreaterThan(0);
    expect(lineBytes(argv, sized(room))).toBe(MORPH_MAX_COMMAND_LINE_BYTES);
    expect((await morph.instances.exec(mvm, argv, sized(room))).stdout).toBe(`${sha256(stdin)}  -\n`);
    expect(await rejectedBeforeAnyRequest("INVALID_ARGUMENT", () => morph.instances.exec(mvm, argv, sized(room + 1)))).toMatch(
      new RegExp(`^argv, env and stdin \\(as base64\\) in the exec command take ${MORPH_MAX_COMMAND_LINE_BYTES + 1} bytes as one shell line`),
    );
  });

  it("exec timeoutMs: a command that outlives it is TIMEOUT naming the limit and is killed in the VM; outside 1..2147483647 INVALID_ARGUMENT before any request", async () => {
    expect((await morph.instances.exec(mvm, ["sh", "-c", "sleep 0.2; echo done"], { timeoutMs: 60_000 })).stdout).toBe("done\n");
    expect(await rejection(morph.instances.exec(mvm, ["sh", "-c", "sleep 7401 & exec sleep 7402"], { timeoutMs: 800 }))).toEqual({
      code: "TIMEOUT",
      message: "command ran longer than 800 ms and was killed",
    });
    expect(await morphProcesses("sleep 740")).toEqual([]);
    expect(await rejectedBeforeAnyRequest("INVALID_ARGUMENT", () => morph.instances.exec(mvm, ["true"], { timeoutMs: 2_147_483_648 }))).toMatch(/^timeoutMs must be a whole number from 1 to 2147483647/);
  });

  it("files: 4095-byte paths work through exec; 4096 bytes or a 256-byte name is INVALID_ARGUMENT before any request", async () => {
    const path = pathOf("/tmp/morph-limits", MAX_PATH_BYTES);
    await morph.files.writeFileAtomic(mvm, path, "morph", { createDirs: true });
    expect(await morph.files.readFile(mvm, path)).toBe("morph");
    await morph.files.writeFile(mvm, path, "again");
    expect(await morph.files.readFile(mvm, path)).toBe("again");
    expect(await rejectedBeforeAnyRequest("INVALID_ARGUMENT", () => morph.files.writeFileAtomic(mvm, pathOf("/tmp/morph-limits", MAX_PATH_BYTES + 1), "x", { createDirs: true }))).toBe(
      "path is 4096 bytes; the limit is 4095 bytes (Linux PATH_MAX)",
    );
    expect(await rejectedBeforeAnyRequest("INVALID_ARGUMENT", () => morph.files.readFile(mvm, `/tmp/${"n".repeat(256)}`))).toMatch(/^path has a name of 256 bytes /);
    await morph.files.deleteDirectory(mvm, "/tmp/morph-limits");
  });

  it("files: maxRequestBytes and maxArgBytes at their maximum (112 KiB) write a 1 MiB file through argv chunks, each exec one shell line; one more is INVALID_ARGUMENT", async () => {
    expect(MORPH_MAX_REQUEST_BYTES).toBe(112 * KiB);
    const wide = createMorphVMProvider({ baseUrl: emu.apiUrl, apiKey: emu.apiKey, maxRequestBytes: MORPH_MAX_REQUEST_BYTES, maxArgBytes: MORPH_MAX_REQUEST_BYTES });
    const content = new Uint8Array(MiB).map((_, i) => (i * 7 + (i >> 12)) % 256);
    await emu.clearRequests();
    await wide.files.writeFileAtomic(mvm, "/tmp/morph-wide.bin", content);
    // 1 MiB is 1.33 MiB of base64: at least 13 execs of at most 112 KiB of argv each.
    expect((await emu.requests()).filter((r) => r.route === "/instance/{instance_id}/exec").length).toBeGreaterThanOrEqual(13);
    expect(sha256(await wide.files.readFileBytes(mvm, "/tmp/morph-wide.bin"))).toBe(sha256(content));
    await wide.files.deleteFile(mvm, "/tmp/morph-wide.bin");
    expect(() => createMorphVMProvider({ baseUrl: emu.apiUrl, apiKey: emu.apiKey, maxRequestBytes: MORPH_MAX_REQUEST_BYTES + 1 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: `maxRequestBytes must be a whole number from 16384 to ${MORPH_MAX_REQUEST_BYTES}, got number ${MORPH_MAX_REQUEST_BYTES + 1}` }) as Error,
    );
    expect(() => createMorphVMProvider({ baseUrl: emu.apiUrl, apiKey: emu.apiKey, maxArgBytes: MORPH_DEFAULT_MAX_REQUEST_BYTES + 1 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: `maxArgBytes must be a whole number from 8 to ${MORPH_DEFAULT_MAX_REQUEST_BYTES}, got number ${MORPH_DEFAULT_MAX_REQUEST_BYTES + 1}` }) as Error,
    );
  });

  it("files: a pipe is never read, whatever it would hold (INVALID_ARGUMENT before it is opened; it was read up to maxReadBytes)", async () => {
    expect(DEFAULT_MAX_READ_BYTES).toBe(3 * MiB);
    const outcomes: string[] = [];
    for (const size of [DEFAULT_MAX_READ_BYTES, DEFAULT_MAX_READ_BYTES + 1]) {
      const fifo = `/tmp/morph-fifo-${size}`;
      // The writer waits for a reader in the background; its output goes nowhere, so the exec returns at once.
      await morph.instances.exec(mvm, ["sh", "-c", `mkfifo ${fifo} && (head -c ${size} /dev/zero > ${fifo} &) >/dev/null 2>&1 </dev/null`]);
      const read = await morph.files.readFileBytes(mvm, fifo).then(
        (bytes) => `${bytes.length} bytes`,
        (err: unknown) => `${(err as { code: string }).code}: ${(err as Error).message}`,
      );
      outcomes.push(read);
      await morph.instances.exec(mvm, ["sh", "-c", `pkill -f "head -c ${size}" ; rm -f ${fifo}`]);
    }
    expect(outcomes).toHaveLength(2);
    outcomes.forEach((outcome, i) => expect(outcome).toMatch(new RegExp(`^INVALID_ARGUMENT: .*morph-fifo-${DEFAULT_MAX_READ_BYTES + i}.*not a regular file`)));
  });

  it("fork count: MAX_FORK_COUNT (32) forks boot; 0 and 33 are INVALID_ARGUMENT before any request", async () => {
    for (const count of [0, MAX_FORK_COUNT + 1]) {
      expect(await rejectedBeforeAnyRequest("INVALID_ARGUMENT", () => morph.instances.fork(mvm, count))).toBe(`count must be a whole number from 1 to ${MAX_FORK_COUNT}, got number ${count}`);
    }
    const forks = await morph.instances.fork(mvm, MAX_FORK_COUNT);
    try {
      expect(forks.map((f) => f.status)).toEqual(Array.from({ length: MAX_FORK_COUNT }, () => "ready"));
      expect(new Set(forks.map((f) => f.id)).size).toBe(MAX_FORK_COUNT);
    } finally {
      await Promise.all(forks.map((f) => morph.instances.terminate(f.id)));
    }
  });
});
