import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { format, inspect } from "node:util";
import type { Logger, VMProvider } from "@vm/core";
import { createMorphVMProvider } from "@vm/provider-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMorphEmulator, type ReliabilityEmulator } from "./morph-emulator.js";
import { baseImage, createCountedDockerProvider, testImages } from "./support.js";

// Secrets never leave through the library: the Morph API key and every env value given to exec
// or to PM2 must not appear in any error (message, stack, cause chain, JSON.stringify,
// util.inspect), anything written to console / stdout / stderr or to the provider's logger,
// list() output, or report and snapshot files. Each secret is a distinctive canary; the test
// drives the failure paths on both providers (Docker on the real engine, Morph over the
// emulator), collects everything they produce, and scans it all at the end.

const PREFIX = "VM-SECRET-CANARY";
const canary = (kind: string) => `${PREFIX}-${kind}-${randomUUID()}`;

/** Every canary handed to the library in this file (the emulator's own key is added when it starts). */
const secrets: string[] = [];
function secret(kind: string): string {
  const value = canary(kind);
  secrets.push(value);
  return value;
}

/** A canary sent as stdin: Morph carries stdin base64-encoded, so that form is a leak too. */
function stdinSecret(kind: string): string {
  const value = secret(kind);
  secrets.push(Buffer.from(value, "utf8").toString("base64"));
  return value;
}

/** Everything the library produced, as text, labelled with where it came from. */
const produced: { where: string; text: string }[] = [];

/** An error as every way it can be shown: message, stack, String, JSON, inspect, and the same for each cause. */
function showError(err: unknown): string[] {
  const shown: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    const e = current as { message?: unknown; stack?: unknown; cause?: unknown };
    shown.push([String(e.message), String(e.stack), current instanceof Error ? current.toString() : "", safeJson(current), inspect(current, { depth: 20, showHidden: true })].join("\n"));
    current = e.cause;
  }
  return shown;
}

function recordError(where: string, err: unknown): void {
  showError(err).forEach((text, depth) => produced.push({ where: `${where} (cause depth ${depth})`, text }));
}

function recordValue(where: string, value: unknown): void {
  produced.push({ where, text: `${safeJson(value)}\n${inspect(value, { depth: 20, showHidden: true })}` });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "undefined";
  } catch (err) {
    return `(not JSON: ${String(err)})`;
  }
}

/**
 * Runs `work` and records what it produced (the error, the result, or every stream chunk).
 * Returns the VMError code, or `exit N` for a command result (Morph reports a missing cwd or
 * user as exit code 125, Docker as NOT_FOUND), or `ok`.
 */
async function failure(where: string, work: () => Promise<unknown> | AsyncIterable<unknown>): Promise<string> {
  try {
    const result = work();
    if (Symbol.asyncIterator in Object(result)) {
      for await (const chunk of result as AsyncIterable<unknown>) recordValue(`${where} chunk`, chunk);
      return "ok";
    }
    const value = await result;
    recordValue(`${where} result`, value);
    const exit = (value as { exit_code?: unknown } | undefined)?.exit_code;
    return typeof exit === "number" ? `exit ${exit}` : "ok";
  } catch (err) {
    recordError(where, err);
    return (err as { code?: string }).code ?? `not a VMError: ${String(err)}`;
  }
}

// Console, process.stdout/stderr writes, and a logger given to every provider.
const writes: string[] = [];
const logged: string[] = [];
const logger: Logger = {
  debug: (message, fields) => void logged.push(`debug ${message} ${inspect(fields, { depth: 20 })}`),
  info: (message, fields) => void logged.push(`info ${message} ${inspect(fields, { depth: 20 })}`),
  warn: (message, fields) => void logged.push(`warn ${message} ${inspect(fields, { depth: 20 })}`),
  error: (message, fields) => void logged.push(`error ${message} ${inspect(fields, { depth: 20 })}`),
};
const restore: (() => void)[] = [];

function captureOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      writes.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
    restore.push(() => {
      stream.write = original;
    });
  }
  for (const level of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      writes.push(format(...args));
      original(...args);
    };
    restore.push(() => {
      console[level] = original;
    });
  }
}

const docker = createCountedDockerProvider({ logger });
const tiny = createCountedDockerProvider({ logger, maxOutputBytes: 64 });
let vm = "";

beforeAll(async () => {
  captureOutput();
  vm = (await docker.provider.instances.boot(baseImage(), { metadata: { suite: "reliability-secrets" } })).id;
});

afterAll(async () => {
  for (const undo of restore.reverse()) undo();
  await Promise.all([docker.cleanup(), tiny.cleanup()]);
});

/** Exec failure paths, each with a canary env value, on one provider. */
async function execFailures(label: string, provider: VMProvider, instanceId: string, unknownId: string): Promise<string[]> {
  const env = (kind: string) => ({ SECRET_VALUE: secret(`${label}-${kind}`), OTHER: "plain" });
  const codes: string[] = [];
  codes.push(await failure(`${label} exec missing cwd`, () => provider.instances.exec(instanceId, ["pwd"], { cwd: "/does/not/exist", env: env("cwd") })));
  codes.push(await failure(`${label} exec unknown user`, () => provider.instances.exec(instanceId, ["id"], { user: "no-such-user", env: env("user") })));
  codes.push(await failure(`${label} exec unknown instance`, () => provider.instances.exec(unknownId, ["true"], { env: env("unknown"), stdin: stdinSecret(`${label}-unknown-stdin`) })));
  codes.push(await failure(`${label} exec timeout`, () => provider.instances.exec(instanceId, ["sleep", "30"], { timeoutMs: 300, env: env("timeout"), stdin: stdinSecret(`${label}-timeout-stdin`) })));
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop")), 300);
  codes.push(await failure(`${label} exec abort`, () => provider.instances.exec(instanceId, ["sleep", "30"], { signal: controller.signal, env: env("abort") })));
  codes.push(await failure(`${label} execStream timeout`, () => provider.instances.execStream(instanceId, ["sh", "-c", "echo started; sleep 30"], { timeoutMs: 500, env: env("stream") })));
  // Invalid input that carries a secret value: the value must not be echoed.
  codes.push(await failure(`${label} exec bad env name`, () => provider.instances.exec(instanceId, ["true"], { env: { "BAD-NAME": secret(`${label}-badname`) } })));
  codes.push(await failure(`${label} exec NUL in env value`, () => provider.instances.exec(instanceId, ["true"], { env: { TOKEN: `${secret(`${label}-nul`)}\0` } })));
  codes.push(await failure(`${label} exec env entry too long`, () => provider.instances.exec(instanceId, ["true"], { env: { TOKEN: secret(`${label}-long`).padEnd(140_000, "x") } })));
  // A command that fails on its own is a result, not an error: it carries no secret either.
  const failed = await provider.instances.exec(instanceId, ["sh", "-c", "echo failing >&2; exit 3"], { env: env("exit") });
  recordValue(`${label} exec failing command`, failed);
  expect(failed.exit_code).toBe(3);
  return codes;
}

/** PM2 with canary env values: start, a crashing process, list, logs, invalid env. */
async function processFailures(label: string, provider: VMProvider, instanceId: string): Promise<string[]> {
  const codes: string[] = [];
  const started = await provider.processes.start(instanceId, "sleep", { name: `${label}-sleeper`, args: ["3600"], env: { API_TOKEN: secret(`${label}-pm2`) } });
  recordValue(`${label} processes.start`, started);
  // A process that crashes at once (its env holds a secret; it prints nothing of it).
  const crashed = await provider.processes
    .start(instanceId, "/bin/sh", { name: `${label}-crasher`, args: ["-c", "echo crashing; exit 1"], interpreter: "none", env: { DB_PASSWORD: secret(`${label}-crash`) }, max_restarts: 1 })
    .catch((err: unknown) => err);
  if (crashed instanceof Error) recordError(`${label} processes.start crasher`, crashed);
  else recordValue(`${label} processes.start crasher`, crashed);
  // Until the crasher has crashed for good (its output and PM2's errors are then in the logs
  // recorded below), not for a fixed 1.5 s that a loaded machine may not have crashed it in.
  let list = await provider.processes.list(instanceId);
  while (!list.some((p) => p.name === `${label}-crasher` && ["errored", "stopped"].includes(p.status))) {
    await new Promise((r) => setTimeout(r, 200));
    list = await provider.processes.list(instanceId);
  }
  recordValue(`${label} processes.list`, list);
  expect(list.map((p) => p.name).sort()).toEqual([`${label}-crasher`, `${label}-sleeper`]);
  recordValue(`${label} processes.logs crasher`, await provider.processes.logs(instanceId, `${label}-crasher`, 20));
  recordValue(`${label} processes.logs sleeper`, await provider.processes.logs(instanceId, `${label}-sleeper`, 20));
  codes.push(await failure(`${label} processes.start bad env name`, () => provider.processes.start(instanceId, "sleep", { name: `${label}-bad`, args: ["1"], env: { "BAD-NAME": secret(`${label}-pm2-badname`) } })));
  codes.push(
    await failure(`${label} processes.start missing script`, () =>
      provider.processes.start(instanceId, "/no/such/script.js", { name: `${label}-missing`, env: { API_TOKEN: secret(`${label}-pm2-missing`) } }),
    ),
  );
  codes.push(
    await failure(`${label} processes.start config too large`, () =>
      provider.processes.start(instanceId, "sleep", { name: `${label}-huge`, args: ["1"], env: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`K${i}`, secret(`${label}-huge-${i}`).padEnd(100_000, "y")])) }),
    ),
  );
  await provider.processes.deleteAll(instanceId);
  return codes;
}

describe("Docker", () => {
  it("exec failure paths with secret env values", async () => {
    const codes = await execFailures("docker", docker.provider, vm, "0".repeat(64));
    expect(codes).toEqual(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "TIMEOUT", "ABORTED", "TIMEOUT", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "INVALID_ARGUMENT"]);
    // Output past maxOutputBytes, and an instance that is stopped.
    expect(await failure("docker exec overflow", () => tiny.provider.instances.exec(vm, ["sh", "-c", "yes"], { env: { SECRET_VALUE: secret("docker-overflow") } }))).toBe("INVALID_ARGUMENT");
    const stopped = await docker.provider.instances.boot(baseImage(), { metadata: { suite: "reliability-secrets" } });
    await docker.provider.instances.stop(stopped.id);
    expect(await failure("docker exec stopped", () => docker.provider.instances.exec(stopped.id, ["true"], { env: { SECRET_VALUE: secret("docker-stopped") } }))).toBe("CONFLICT");
    await docker.provider.instances.terminate(stopped.id);
  });

  it("PM2 with secret env values: start, a crashing process, list, logs, invalid env", async () => {
    expect(await processFailures("docker", docker.provider, vm)).toEqual(["INVALID_ARGUMENT", "NOT_FOUND", "INVALID_ARGUMENT"]);
  });

  it("list(), get() and the provider object", async () => {
    recordValue("docker instances.list", await docker.provider.instances.list());
    recordValue("docker instances.get", await docker.provider.instances.get(vm));
    recordValue("docker provider", docker.provider);
  });
});

describe("Morph (emulator)", () => {
  let emu: ReliabilityEmulator;
  let morph: VMProvider;
  let mvm = "";

  beforeAll(async () => {
    emu = await startMorphEmulator(testImages());
    secrets.push(emu.apiKey);
    morph = createMorphVMProvider({ baseUrl: emu.apiUrl, apiKey: emu.apiKey, logger, retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200 } });
    // PM2 calls run in this VM: the emulator's vm-base image has it (morphvm-minimal, like Morph's, has no Node or PM2).
    const snapshot = await morph.snapshots.fromImage("vm-base", { digest: "reliability-secrets" });
    mvm = (await morph.instances.boot(snapshot.id, { metadata: { suite: "reliability-secrets" } })).id;
  });

  afterAll(async () => {
    await emu?.stop();
  });

  it("a wrong API key is UNAUTHENTICATED everywhere and appears nowhere", async () => {
    const wrongKey = secret("morph-api-key");
    const bad = createMorphVMProvider({ baseUrl: emu.apiUrl, apiKey: wrongKey, logger, retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200 } });
    const codes = [
      await failure("morph bad key list", () => bad.instances.list()),
      await failure("morph bad key get", () => bad.instances.get(mvm)),
      await failure("morph bad key boot", () => bad.instances.boot("snapshot_x")),
      await failure("morph bad key exec", () => bad.instances.exec(mvm, ["true"], { env: { SECRET_VALUE: secret("morph-badkey-env") } })),
      await failure("morph bad key snapshots", () => bad.snapshots.list()),
      await failure("morph bad key files", () => bad.files.readFile(mvm, "/etc/hostname")),
    ];
    expect(codes).toEqual(Array.from({ length: 6 }, () => "UNAUTHENTICATED"));
    recordValue("morph provider with a wrong key", bad);
  });

  it("exec failure paths with secret env values, and server faults on exec", async () => {
    const codes = await execFailures("morph", morph, mvm, "morphvm_doesnotexist");
    // An unknown user and a missing cwd are NOT_FOUND on every provider (conformance exec.user-unknown, exec.cwd-missing).
    expect(codes).toEqual(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "TIMEOUT", "ABORTED", "TIMEOUT", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "INVALID_ARGUMENT"]);
    for (const status of [422, 500, 503]) {
      await emu.faults([{ kind: "status", status, method: "POST", path: "/exec$" }]);
      expect(await failure(`morph exec answered ${status}`, () => morph.instances.exec(mvm, ["true"], { env: { SECRET_VALUE: secret(`morph-fault-${status}`) } }))).toMatch(/^(INVALID_ARGUMENT|UNAVAILABLE)$/);
    }
    // A server that echoes the request in its validation error (pydantic v2 does): the exec's
    // argv carries env values and stdin, and neither may reach the error through its cause.
    for (const path of ["/exec$", "/exec/sse$"]) {
      await emu.faults([{ kind: "status", status: 422, method: "POST", path, echo: true }]);
      const options = { env: { SECRET_VALUE: secret(`morph-echo-env${path}`) }, stdin: stdinSecret(`morph-echo-stdin${path}`), timeoutMs: 60_000 };
      const code = await failure(`morph exec answered 422 echoing its input (${path})`, () =>
        path === "/exec$" ? morph.instances.exec(mvm, ["cat"], options) : morph.instances.execStream(mvm, ["cat"], options),
      );
      expect(code).toBe("INVALID_ARGUMENT");
    }
    await emu.clearFaults();
  });

  it("PM2 with secret env values: start, a crashing process, list, logs, invalid env", async () => {
    expect(await processFailures("morph", morph, mvm)).toEqual(["INVALID_ARGUMENT", "NOT_FOUND", "INVALID_ARGUMENT"]);
  });

  it("list(), get() and the provider object", async () => {
    recordValue("morph instances.list", await morph.instances.list());
    recordValue("morph instances.get", await morph.instances.get(mvm));
    recordValue("morph provider", morph);
  });
});

/** Files under `dir` (recursively), skipping node_modules and .git. */
async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === ".git") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

async function snapshotDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === "node_modules" || entry.name === ".git" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (entry.name === "__snapshots__") out.push(path);
    else out.push(...(await snapshotDirs(path)));
  }
  return out;
}

describe("the scan", () => {
  it("the capture works: a control string written to console and stdout is seen", () => {
    const control = canary("control");
    console.log("control %s", control);
    process.stdout.write(`${control}\n`);
    expect(writes.filter((w) => w.includes(control)).length).toBe(2);
    expect(logged.length, "the providers logged nothing: the logger capture is not wired").toBeGreaterThan(0);
  });

  it("the error scan sees a secret deep in a cause chain (non-enumerable cause, nested body)", () => {
    const control = canary("control");
    const err = new Error("outer", { cause: new Error("middle", { cause: { status: 422, body: { detail: [{ input: { command: [`A=${control}`] } }] } } }) });
    expect(JSON.stringify(err)).not.toContain(control);
    expect(showError(err).some((text) => text.includes(control))).toBe(true);
  });

  it("no secret in any error, result, list, logger line, console/stdout/stderr write, report or snapshot file", async () => {
    const root = join(import.meta.dirname, "../..");
    const files = [...(await filesUnder(join(root, "reports"))), ...(await Promise.all((await snapshotDirs(root)).map(filesUnder))).flat()];
    const fileTexts = await Promise.all(files.map(async (path) => ({ where: `file ${path}`, text: await readFile(path, "utf8") })));
    const everything = [
      ...produced,
      ...logged.map((text) => ({ where: "logger", text })),
      ...writes.map((text) => ({ where: "console/stdout/stderr", text })),
      ...fileTexts,
    ];
    // Each canary for a secret handed over in this file, and the prefix itself in files (a leak from an earlier run).
    const leaks = everything.flatMap(({ where, text }) => [
      ...secrets.filter((s) => text.includes(s)).map((s) => `${where}: ${s}`),
      ...(where.startsWith("file ") && text.includes(PREFIX) ? [`${where}: ${PREFIX}`] : []),
    ]);
    console.log(
      `[reliability] secrets scan: ${secrets.length} secrets, ${produced.length} errors/results, ${logged.length} logger lines, ${writes.length} console/stdout/stderr writes, ${files.length} report/snapshot files scanned; ${leaks.length} leaks`,
    );
    expect(secrets.length).toBeGreaterThanOrEqual(40);
    expect(produced.length).toBeGreaterThanOrEqual(50);
    expect(leaks).toEqual([]);
  });
});
