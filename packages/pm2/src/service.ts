import type { ExecFunction, ExecResult, ProcessInfo, ProcessLogs, VMProcessService } from "@vm/core";
import { VMError, assertAbsolutePath, assertId, assertInteger, isVMError, type ErrorContext } from "@vm/provider-kit";
import { createProcess } from "./builder.js";
import { ecosystemJson, resolveStart } from "./config.js";
import { DEFAULT_PM2_HOME, DEFAULT_PROVIDER } from "./constants.js";
import { MAX_CONFIG_BYTES, chunk, driverArgv } from "./driver.js";
import { fromExecError, fromPM2Result } from "./errors.js";
import { parseJlist, type PM2Process } from "./jlist.js";
import { type ExecStreamFunction, followLogs, readStreamLogsOptions } from "./stream-logs.js";
import { assertTarget, logCollisionKey } from "./names.js";

/**
 * Options for `createPM2ProcessService()`.
 *
 * @example
 * ```ts
 * import type { PM2ProcessServiceOptions } from "@vm/pm2";
 * const options: PM2ProcessServiceOptions = { provider: "docker", timeoutMs: 30_000 };
 * ```
 */
export interface PM2ProcessServiceOptions {
  /**
   * Goes into `VMError.provider`.
   *
   * @default `"pm2"`
   */
  provider?: string;
  /**
   * `PM2_HOME` inside the VM, or a function of the instance id that returns it: one PM2 daemon
   * per home. Must be absolute.
   *
   * The default is one path per VM, so every instance with its own filesystem (Docker, Morph)
   * has its own daemon, and a fork keeps its parent's processes. A provider whose instances
   * share one filesystem passes a function, so two instances never share a daemon:
   * `pm2Home: (id) => \`/var/lib/vm/pm2/${id}\``. Called before every exec; a function that
   * throws or returns a bad path is `INVALID_ARGUMENT`, and nothing runs.
   *
   * @default `DEFAULT_PM2_HOME` (`/var/lib/vm/pm2`)
   */
  pm2Home?: PM2Home;
  /**
   * Per-exec timeout handed to the exec function (a pm2 call takes about a second on an idle VM).
   *
   * @default `120000` (120 s)
   */
  timeoutMs?: number;
  /**
   * Most bytes `logs()` returns per stream (out and err each), from 1 to `MAX_LOG_BYTES_LIMIT`
   * (16 MiB). When the last `lines` lines are larger, `logs()` returns the newest whole lines
   * that fit (a single newer line longer than the cap: its newest bytes). The cap is applied in
   * the VM, so the exec's output stays bounded (base64: 4/3 of twice the cap).
   * @default DEFAULT_MAX_LOG_BYTES (4 MiB)
   */
  maxLogBytes?: number;
  /**
   * The provider's `execStream`, which `streamLogs()` follows the log files with (the command
   * runs until the stream ends). Without it, `streamLogs()` is `UNSUPPORTED`.
   *
   * @default none
   */
  execStream?: ExecStreamFunction;
  /**
   * `execStream` takes an `AsyncIterable` stdin (the provider's `capabilities.stdinStream`):
   * `streamLogs()` then keeps the command's stdin open while it follows, so the follow ends in
   * the VM even when this process is killed outright. Without it, a killed caller leaves the
   * `tail`s running until the instance ends.
   *
   * @default false
   */
  execStreamStdin?: boolean;
}

/** Most lines `logs()` returns per stream. */
export const MAX_LOG_LINES = 100_000;

/**
 * Default `maxLogBytes`: 4 MiB per stream.
 */
export const DEFAULT_MAX_LOG_BYTES = 4 * 1024 * 1024;

/**
 * Largest `maxLogBytes`: 16 MiB per stream, so both streams in base64 (about 43 MiB) stay
 * under the providers' default exec output cap (64 MiB).
 */
export const MAX_LOG_BYTES_LIMIT = 16 * 1024 * 1024;

/**
 * The newest at most `cap` bytes of a log tail that the VM cut at `cap + 1` bytes: whole lines
 * only (the partial oldest line is dropped), unless the newest line alone is longer than the cap,
 * then its newest bytes from a character boundary. Without the final newline.
 */
export function newestWithin(bytes: Buffer, cap: number): string {
  let kept = bytes;
  if (bytes.length > cap) {
    const start = bytes.length - cap;
    const lineEnd = bytes[start - 1] === 0x0a ? start - 1 : bytes.indexOf(0x0a, start);
    if (lineEnd >= 0 && lineEnd < bytes.length - 1) {
      kept = bytes.subarray(lineEnd + 1);
    } else {
      let from = start;
      // Skip UTF-8 continuation bytes (10xxxxxx): start on a character.
      while (from < bytes.length && (bytes[from]! & 0xc0) === 0x80) from++;
      kept = bytes.subarray(from);
    }
  }
  // tail keeps the final newline; without it, `text.split("\n")` has exactly `lines` entries.
  return kept.toString("utf8").replace(/\n$/, "");
}

/** Where an instance's PM2 daemon lives: one path for every instance, or one per instance id. */
export type PM2Home = string | ((instanceId: string) => string);

/** Checks a `pm2Home` option's type up front (a string's value too). */
export function assertPM2Home(pm2Home: unknown, ctx: ErrorContext): asserts pm2Home is PM2Home {
  if (typeof pm2Home === "function") return;
  homeFor(pm2Home as PM2Home, "", ctx);
}

/** The home for one instance, checked as the kit checks every path (absolute, no NUL, PATH_MAX). */
function homeFor(pm2Home: PM2Home, instanceId: string, ctx: ErrorContext): string {
  let home: unknown;
  try {
    home = typeof pm2Home === "function" ? pm2Home(instanceId) : pm2Home;
  } catch (err) {
    throw new VMError("INVALID_ARGUMENT", "pm2Home threw for this instance", { ...ctx, cause: err });
  }
  assertAbsolutePath(home, ctx, "pm2Home");
  return home;
}

/** Internal runner shared with `pm2Save`: one driver op, PM2_HOME pinned, failures translated. */
export interface DriverRunner {
  run(instanceId: string, op: string, args: string[], ctx: ErrorContext, secrets?: readonly string[]): Promise<ExecResult>;
}

export function createDriverRunner(exec: ExecFunction, pm2Home: PM2Home, timeoutMs: number): DriverRunner {
  return {
    async run(instanceId, op, args, ctx, secrets = []) {
      const home = homeFor(pm2Home, instanceId, ctx);
      let result: ExecResult;
      try {
        // PM2_HOME is pinned on every call: execs as another user or with another HOME still
        // reach the same daemon and the same dump.
        result = await exec(instanceId, driverArgv(home, op, ...args), { env: { PM2_HOME: home }, timeoutMs });
      } catch (err) {
        throw fromExecError(err, ctx);
      }
      if (result.exit_code !== 0) throw fromPM2Result(result, ctx, secrets);
      return result;
    },
  };
}

function matches(p: PM2Process, target: string | number): boolean {
  return typeof target === "number" ? p.info.id === target : p.info.name === target;
}

function describe(target: string | number): string {
  return typeof target === "number" ? `process id ${target}` : `process ${JSON.stringify(target)}`;
}

/**
 * The design's `VMProcessService` for any provider, driven only through `exec`. Every call runs
 * one fixed `sh` script with `PM2_HOME` pinned; configuration travels as a PM2 ecosystem JSON
 * file (base64 in argv, never stdin, never shell text, never hand-joined CLI flags).
 *
 * Errors: bad input → `INVALID_ARGUMENT` before any exec; unknown name or id → `NOT_FOUND`;
 * no node or pm2 in the VM → `UNSUPPORTED` ("node not found on PATH for user …"); other pm2 failures →
 * `INTERNAL`. Env values never appear in results or messages.
 *
 * @param exec `(instanceId, argv, options) => Promise<ExecResult>`, e.g. `provider.instances.exec`.
 * @example
 * ```ts
 * import type { ExecFunction } from "@vm/core";
 * import { createPM2ProcessService } from "@vm/pm2";
 *
 * async function deploy(exec: ExecFunction, instanceId: string) {
 *   const processes = createPM2ProcessService(exec, { provider: "docker" });
 *   await processes.start(instanceId, "node", { name: "app", script: "/app/server.js", env: { PORT: "3000" } });
 *   await processes.start(instanceId, "while true; do date; sleep 1; done", { name: "clock" });
 *   const { out } = await processes.logs(instanceId, "clock", 5);
 *   return { list: await processes.list(instanceId), out };
 * }
 * ```
 */
export function createPM2ProcessService(exec: ExecFunction, options: PM2ProcessServiceOptions = {}): VMProcessService {
  const provider = options.provider ?? DEFAULT_PROVIDER;
  const pm2Home = options.pm2Home ?? DEFAULT_PM2_HOME;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxLogBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
  const ctxOf = (operation: string): ErrorContext => ({ provider, operation: `processes.${operation}` });
  assertPM2Home(pm2Home, ctxOf("create"));
  assertInteger(timeoutMs, ctxOf("create"), "timeoutMs", 1);
  assertInteger(maxLogBytes, ctxOf("create"), "maxLogBytes", 1, MAX_LOG_BYTES_LIMIT);
  const runner = createDriverRunner(exec, pm2Home, timeoutMs);

  async function listRaw(instanceId: string, ctx: ErrorContext): Promise<PM2Process[]> {
    const { stdout } = await runner.run(instanceId, "jlist", [], ctx);
    return parseJlist(stdout, ctx);
  }

  async function find(instanceId: string, nameOrId: unknown, ctx: ErrorContext): Promise<{ target: string | number; found: PM2Process[] }> {
    const target = assertTarget(nameOrId, ctx);
    const found = (await listRaw(instanceId, ctx)).filter((p) => matches(p, target));
    if (found.length === 0) throw new VMError("NOT_FOUND", `${describe(target)} not found`, ctx);
    return { target, found };
  }

  async function act(op: "stop" | "restart" | "delete", instanceId: string, nameOrId: string | number): Promise<void> {
    const ctx = ctxOf(op);
    assertId(instanceId, ctx, "instanceId");
    const { target } = await find(instanceId, nameOrId, ctx);
    // Only a name that exists is passed on, so pm2 never falls back to its namespace lookup.
    await runner.run(instanceId, op, [String(target)], ctx);
  }

  async function all(op: "stop" | "delete", instanceId: string): Promise<void> {
    const ctx = ctxOf(`${op}All`);
    assertId(instanceId, ctx, "instanceId");
    const apps = (await listRaw(instanceId, ctx)).filter((p) => !p.module);
    if (apps.length === 0) return;
    try {
      await runner.run(instanceId, op, ["all"], ctx);
    } catch (err) {
      // Everything went away between the list and the call: that is what was asked for.
      if (!(err instanceof VMError && err.code === "NOT_FOUND")) throw err;
    }
  }

  return {
    async start(instanceId, command, startOptions) {
      const ctx = ctxOf("start");
      assertId(instanceId, ctx, "instanceId");
      const { name, app } = resolveStart(command, startOptions, ctx);
      const encoded = Buffer.from(ecosystemJson(app), "utf8").toString("base64");
      if (encoded.length > MAX_CONFIG_BYTES) {
        throw new VMError("INVALID_ARGUMENT", `process config is too large (${encoded.length} bytes encoded, at most ${MAX_CONFIG_BYTES})`, ctx);
      }
      const secrets = Object.values(app.env ?? {}).filter((v): v is string => typeof v === "string");

      const existing = await listRaw(instanceId, ctx);
      const clash = existing.find((p) => p.info.name !== name && logCollisionKey(p.info.name) === logCollisionKey(name));
      if (clash) {
        throw new VMError(
          "INVALID_ARGUMENT",
          `process name ${JSON.stringify(name)} would share log files with running process ${JSON.stringify(clash.info.name)}`,
          ctx,
        );
      }
      const replace = existing.some((p) => p.info.name === name);
      const { stdout } = await runner.run(instanceId, "start", [name, replace ? "replace" : "new", ...chunk(encoded)], ctx, secrets);
      const workers = parseJlist(stdout, ctx).filter((p) => p.info.name === name).map((p) => p.info);
      if (workers.length === 0) throw new VMError("INTERNAL", `pm2 accepted ${JSON.stringify(name)} but does not list it`, ctx);
      return workers.sort((a, b) => a.instance - b.instance || a.id - b.id);
    },

    stop: (instanceId, nameOrId) => act("stop", instanceId, nameOrId),
    restart: (instanceId, nameOrId) => act("restart", instanceId, nameOrId),
    delete: (instanceId, nameOrId) => act("delete", instanceId, nameOrId),

    async list(instanceId): Promise<ProcessInfo[]> {
      const ctx = ctxOf("list");
      assertId(instanceId, ctx, "instanceId");
      return (await listRaw(instanceId, ctx)).map((p) => p.info);
    },

    async logs(instanceId, nameOrId, lines = 100): Promise<ProcessLogs> {
      const ctx = ctxOf("logs");
      assertId(instanceId, ctx, "instanceId");
      assertInteger(lines, ctx, "lines", 1, MAX_LOG_LINES);
      const { target, found } = await find(instanceId, nameOrId, ctx);
      const outs = new Set(found.map((p) => p.outLog));
      const errs = new Set(found.map((p) => p.errLog));
      if (outs.size > 1 || errs.size > 1) {
        throw new VMError(
          "INVALID_ARGUMENT",
          `${describe(target)} writes one log file per worker (merge_logs: false); ask for one worker by its PM2 id`,
          ctx,
        );
      }
      const [first] = found;
      let stdout: string;
      try {
        ({ stdout } = await runner.run(instanceId, "logs", [String(lines), first?.outLog ?? "", first?.errLog ?? "", String(maxLogBytes + 1)], ctx));
      } catch (err) {
        // The provider's own exec output cap is smaller than what maxLogBytes lets through: say
        // so in logs' terms, not with the exec's advice (execStream) that does not apply here.
        // Every argument was checked above, so an INVALID_ARGUMENT here is the exec's.
        if (isVMError(err) && err.code === "INVALID_ARGUMENT") {
          throw new VMError("INVALID_ARGUMENT", `the logs (up to ${maxLogBytes} bytes per stream, base64-encoded) exceed the provider's exec output limit; create the process service with a smaller maxLogBytes`, ctx);
        }
        throw err;
      }
      const [out = "", err = ""] = stdout.split("\n");
      return { out: newestWithin(Buffer.from(out, "base64"), maxLogBytes), err: newestWithin(Buffer.from(err, "base64"), maxLogBytes) };
    },

    streamLogs(instanceId, nameOrId, given) {
      const ctx = ctxOf("streamLogs");
      // Checked at the call, so bad input fails there and not at the first `next()`.
      assertId(instanceId, ctx, "instanceId");
      assertTarget(nameOrId, ctx);
      const logOptions = readStreamLogsOptions(given, ctx);
      const execStream = options.execStream;
      if (execStream === undefined) throw new VMError("UNSUPPORTED", "streamLogs needs the provider's execStream (createPM2ProcessService's execStream option)", ctx);
      return {
        [Symbol.asyncIterator]: () =>
          (async function* () {
            const { found } = await find(instanceId, nameOrId, ctx);
            const home = homeFor(pm2Home, instanceId, ctx);
            const outs = [...new Set(found.map((p) => p.outLog).filter((f) => f.startsWith("/")))];
            const errs = [...new Set(found.map((p) => p.errLog).filter((f) => f.startsWith("/")))];
            yield* followLogs(execStream, instanceId, { outs, errs }, { ...logOptions, env: { PM2_HOME: home }, holdStdin: options.execStreamStdin === true }, ctx);
          })(),
      };
    },

    stopAll: (instanceId) => all("stop", instanceId),
    deleteAll: (instanceId) => all("delete", instanceId),

    createProcess: (name) => createProcess(name, { provider }),
  };
}
