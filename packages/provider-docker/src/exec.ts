import type { Duplex, Readable } from "node:stream";
import type { ExecOptions, ExecResult, ExecStreamChunk } from "@vm/core";
import { VMError, assertCommandSize, commandBytes, readExecCall } from "@vm/provider-kit";
import { EXEC_TAG_VAR, buildExecKillArgv, execTagEntry, newExecId } from "@vm/provider-kit/internal";
import type Dockerode from "dockerode";
import type { DockerContext } from "./context.js";
import { createDemuxer } from "./demux.js";
import { fromDockerError } from "./errors.js";
import { EXEC_WRAPPER } from "./scripts.js";

/**
 * Default cap on what `exec()` collects (stdout + stderr together): 64 MiB. Past it the
 * command is killed and `exec()` fails with INVALID_ARGUMENT; `execStream()` has no cap.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

// execStream pauses the socket when the consumer falls this far behind.
const STREAM_HIGH_WATER = 4 * 1024 * 1024;

/** Input for one exec; `stdin` may also be a stream (used internally for big file writes). */
export interface ExecRequest {
  instanceId: string;
  argv: readonly string[];
  /** The container's own environment (`Config.Env`: its image's `ENV`), when known: it counts against ARG_MAX too. */
  instanceEnv?: readonly string[];
  options: Omit<ExecOptions, "stdin"> & { stdin?: string | Uint8Array | Readable };
  operation: string;
}

interface Drive {
  readonly exitCode: Promise<number>;
  /** Kill the command in the container and stop reading; the exitCode promise rejects with `reason`. */
  cancel(reason: VMError): Promise<void>;
  readonly socket: Duplex;
}

/**
 * Throws INVALID_ARGUMENT (or ABORTED for an already-aborted signal) before any engine call,
 * and returns copies of argv and options to use instead of the caller's (read once: a getter
 * cannot answer differently later). The checks are the kit's `readExecCall`, shared with every
 * provider; the size of argv and env together is this provider's: it adds no wrapper arguments.
 */
export function validateExec(provider: string, operation: string, instanceId: unknown, argv: unknown, options: unknown): { argv: string[]; options: ExecOptions | undefined } {
  const ctx = { provider, operation };
  const checked = readExecCall(instanceId, argv, options, ctx);
  assertCommandSize(checked.argv, checked.options?.env, ctx);
  return checked;
}

// Liveness bounds of a cancel: how long it waits for the engine to start a command it has not
// started yet, and for the kill exec. A cancel never hangs on a stuck engine.
const KILL_START_WAIT_MS = 30_000;
const KILL_EXEC_WAIT_MS = 30_000;

/** Reads a helper exec's output away and resolves when its stream ends, closes or fails. */
function drained(stream: Duplex): Promise<void> {
  return new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
    stream.resume();
  });
}

/**
 * Kills the command of `exec` and everything it started (`EXEC_KILL_SCRIPT`, as root, by its
 * `VM_EXEC_ID` tag and the session it leads). A command the engine has not started yet (a
 * timeout or abort right after `start`) is waited for first, so its tagged process exists when
 * the kill scans. The kill runs even when the command itself has ended: a background child it
 * left behind (which may hold its stdout open) must die too. Waits for the kill to finish,
 * bounded by KILL_EXEC_WAIT_MS.
 */
async function killInContainer(ctx: DockerContext, container: Dockerode.Container, exec: Dockerode.Exec, execId: string): Promise<VMError | undefined> {
  try {
    // Pid is 0 until the engine has started the process; ExitCode is null until it ended.
    const until = Date.now() + KILL_START_WAIT_MS;
    for (;;) {
      const info = await exec.inspect();
      if (info.Pid > 0 || (!info.Running && typeof info.ExitCode === "number") || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const killer = await container.exec({
      Cmd: buildExecKillArgv(execId),
      User: "0",
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await killer.start({ hijack: true, stdin: false });
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        ctx.logger?.warn("docker: the kill exec did not finish; giving up on it", { waitedMs: KILL_EXEC_WAIT_MS });
        resolve();
      }, KILL_EXEC_WAIT_MS);
    });
    await Promise.race([drained(stream), gaveUp]);
    clearTimeout(timer);
    stream.destroy();
  } catch (err) {
    // The container may already be gone or stopped: then so is the command. An engine that
    // does not answer (frozen: requestTimeoutMs) is the one case where the command may live on.
    ctx.logger?.debug("docker: kill exec failed", { error: String(err) });
    const vmErr = fromDockerError(err, { provider: ctx.provider, operation: "exec.kill" });
    return vmErr.code === "UNAVAILABLE" ? vmErr : undefined;
  }
  return undefined;
}

// Bound on the probe exec below: an engine too stuck to run `exit 0` in this long gets the
// benefit of the doubt (the exit code is reported as the command's own), never a hang.
const PROBE_WAIT_MS = 10_000;

/** True when a new exec still runs in the container (`sh -c "exit 0"` exits 0), or when the probe cannot tell in time. */
async function execStillWorks(container: Dockerode.Container): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const undecided = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), PROBE_WAIT_MS)));
  const probe = (async () => {
    try {
      const exec = await container.exec({ Cmd: ["sh", "-c", "exit 0"], User: "0", AttachStdout: true, AttachStderr: true });
      await drained(await exec.start({ hijack: true, stdin: false }));
      const info = await exec.inspect();
      return !info.Running && info.ExitCode === 0;
    } catch {
      return false;
    }
  })();
  try {
    return await Promise.race([probe, undecided]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * After a command ended with 137 (SIGKILL) or 126 (the runtime could not run it), says whether
 * the instance went away under it: a container killed or stopped from outside, or by an engine
 * shutdown, ends every exec in it with 137 (the kernel kills the whole pid namespace when its
 * init dies), and an exec started while it dies fails with 126 and a runtime message. The
 * engine marks the container stopped a little later than the execs end, so "still running" is
 * confirmed with a probe exec, which cannot start in a container whose init is dead.
 * Returns the error to report, or undefined when the code is the command's own.
 */
async function instanceEnded(ctx: DockerContext, container: Dockerode.Container, instanceId: string, operation: string, code: number): Promise<VMError | undefined> {
  const ectx = { provider: ctx.provider, operation };
  let info: Dockerode.ContainerInspectInfo;
  try {
    info = await container.inspect();
  } catch (err) {
    const vmErr = fromDockerError(err, { ...ectx, subject: `instance ${instanceId}` });
    if (vmErr.code !== "NOT_FOUND") return vmErr;
    return new VMError("NOT_FOUND", `instance ${instanceId} was removed while the command ran (exit code ${code})`, { ...ectx, cause: err });
  }
  if (info.State.Running && !info.State.Paused && (await execStillWorks(container))) return undefined;
  return new VMError("CONFLICT", `instance ${instanceId} stopped while the command ran; the command was killed with it (exit code ${code})`, ectx);
}

async function exitCodeOf(exec: Dockerode.Exec, operation: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && typeof info.ExitCode === "number") return info.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new VMError("INTERNAL", "the engine did not report an exit code", { provider: "docker", operation });
}

/** Starts the exec (wrapped so it can be killed) and wires timeout, abort and frame delivery. */
/**
 * Linux ARG_MAX with the usual 8 MiB stack: argv and the environment of one execve, each
 * string's bytes, its NUL and an 8-byte pointer. An exec's argv (with the provider's
 * `EXEC_WRAPPER`), its env and the instance's own environment (its image's `ENV`) must fit in
 * it, less 4 KiB for what the engine adds; otherwise the exec is `INVALID_ARGUMENT` before it
 * is created.
 */
export const ARG_MAX_BYTES = 2 * 1024 * 1024;

// What the engine and the kernel add to the wrapper's execve beyond argv and Config.Env merged
// with the call's env: HOSTNAME and HOME when the image has none, the file name, alignment.
const ENGINE_EXEC_RESERVE_BYTES = 4 * 1024;

/**
 * Rejects a command that, with the container's own environment, would not fit in one execve.
 * `MAX_COMMAND_BYTES` keeps 64 KiB for the image's environment and the wrapper; an image whose
 * `ENV` is larger than that would otherwise fail in the engine, with exit code 1 "argument
 * list too long" as a result. Counts what the engine really runs: the wrapper's argv and
 * `Config.Env` with the call's env overriding entries of the same name.
 */
export function assertFitsInstanceEnv(argv: readonly string[], env: Readonly<Record<string, string>> | undefined, instanceEnv: readonly string[], ctx: { provider: string; operation: string }): void {
  const merged = new Map<string, string>();
  for (const entry of instanceEnv) {
    const eq = entry.indexOf("=");
    merged.set(eq < 0 ? entry : entry.slice(0, eq), entry);
  }
  for (const [name, value] of Object.entries(env ?? {})) merged.set(name, `${name}=${value}`);
  // The kill tag (VM_EXEC_ID=<uuid>) is part of every exec's environment.
  merged.set(EXEC_TAG_VAR, execTagEntry(newExecId()));
  const total = commandBytes(["sh", "-c", EXEC_WRAPPER, "vm-exec", ...argv]) + commandBytes([...merged.values()]);
  const limit = ARG_MAX_BYTES - ENGINE_EXEC_RESERVE_BYTES;
  if (total > limit) {
    throw new VMError(
      "INVALID_ARGUMENT",
      `argv and env take ${total} bytes with the provider's wrapper and the instance's own environment (its image's ENV: ${commandBytes(instanceEnv)} bytes); the limit is ${limit} bytes (Linux ARG_MAX, 2 MiB, less ${ENGINE_EXEC_RESERVE_BYTES} bytes for what the engine adds)`,
      ctx,
    );
  }
}

async function startDrive(
  ctx: DockerContext,
  req: ExecRequest,
  onFrame: (stream: "stdout" | "stderr", data: Buffer, drive: Drive) => void,
): Promise<Drive> {
  const { instanceId, argv, options, operation } = req;
  const container = ctx.docker.getContainer(instanceId);
  if (req.instanceEnv) assertFitsInstanceEnv(argv, options.env, req.instanceEnv, { provider: ctx.provider, operation });
  // The kill tag is the provider's alone: a caller's own VM_EXEC_ID is dropped.
  const execId = newExecId();
  const env = [...Object.entries(options.env ?? {}).filter(([k]) => k !== EXEC_TAG_VAR).map(([k, v]) => `${k}=${v}`), execTagEntry(execId)];
  const hasStdin = options.stdin !== undefined;
  const aborted = (message = "the command was aborted and killed") => new VMError("ABORTED", message, { provider: ctx.provider, operation, cause: options.signal?.reason });
  // The signal may fire while an earlier step (or the create below) is awaited: no listener is
  // registered yet, so it is checked here. Before `start` nothing runs yet: no kill is needed.
  if (options.signal?.aborted) throw aborted("the command was aborted before it started");
  let exec: Dockerode.Exec;
  let socket: Duplex;
  try {
    exec = await container.exec({
      Cmd: ["sh", "-c", EXEC_WRAPPER, "vm-exec", ...argv],
      AttachStdin: hasStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: env,
      ...(options.cwd ? { WorkingDir: options.cwd } : {}),
      ...(options.user ? { User: options.user } : {}),
    });
    if (options.signal?.aborted) throw aborted("the command was aborted before it started");
    socket = await exec.start({ hijack: true, stdin: hasStdin });
  } catch (err) {
    throw fromDockerError(err, { provider: ctx.provider, operation, subject: `instance ${instanceId}` });
  }

  let settled = false;
  let cancelling: Promise<void> | undefined;
  let resolveExit!: (code: number) => void;
  let rejectExit!: (err: unknown) => void;
  const exitCode = new Promise<number>((resolve, reject) => {
    resolveExit = resolve;
    rejectExit = reject;
  });
  // Callers that cancel may never await exitCode; keep the rejection from going unhandled.
  exitCode.catch(() => undefined);

  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => void drive.cancel(aborted());
  const cleanup = () => {
    settled = true;
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  };

  const drive: Drive = {
    exitCode,
    socket,
    cancel(reason) {
      if (settled) return cancelling ?? Promise.resolve();
      cleanup();
      // Keep reading (and dropping) the output until the command is dead. A paused socket
      // blocks the engine's copy of this exec's output, and the engine handles a container's
      // exec exits one at a time, so the kill exec's own end would never come (exec() hung).
      socket.resume();
      cancelling = killInContainer(ctx, container, exec, execId).then((killErr) => {
        socket.destroy();
        // Same code as asked (TIMEOUT, ABORTED, ...), but the message must not claim a kill the engine never confirmed.
        rejectExit(
          killErr
            ? new VMError(reason.code, `${reason.message} (the kill was not confirmed: ${killErr.message}; the command may still run)`, { provider: ctx.provider, operation, cause: killErr })
            : reason,
        );
      });
      return cancelling;
    },
  };

  const demux = createDemuxer((stream, data) => {
    if (!settled) onFrame(stream, data, drive);
  });
  socket.on("data", (chunk: Buffer) => {
    if (!settled) demux(chunk);
  });
  let ended = false;
  const onEnd = () => {
    if (ended || settled) return;
    ended = true;
    cleanup();
    exitCodeOf(exec, operation)
      .then(async (code) => {
        const ended = code === 126 || code === 137 ? await instanceEnded(ctx, container, instanceId, operation, code) : undefined;
        if (ended) rejectExit(ended);
        else resolveExit(code);
      })
      .catch((err: unknown) => rejectExit(fromDockerError(err, { provider: ctx.provider, operation, subject: `instance ${instanceId}` })));
  };
  socket.on("end", onEnd);
  socket.on("close", onEnd);
  socket.on("error", (err) => {
    if (settled) return;
    cleanup();
    rejectExit(fromDockerError(err, { provider: ctx.provider, operation, subject: `instance ${instanceId}` }));
  });

  if (options.timeoutMs !== undefined) {
    const ms = options.timeoutMs;
    timer = setTimeout(() => void drive.cancel(new VMError("TIMEOUT", `the command ran longer than ${ms} ms and was killed`, { provider: ctx.provider, operation })), ms);
  }
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // An abort while `start` was awaited fired before the listener existed (an already-aborted
  // signal never calls a new listener): without this check the call waited for the command's
  // own end, and the command ran on. The command may have started, so this is a full cancel
  // (the kill waits for the engine to start it). The timeout needs no such check: its timer
  // starts here and always fires.
  if (options.signal?.aborted) onAbort();

  if (hasStdin) {
    const input = options.stdin;
    if (typeof input === "string" || input instanceof Uint8Array) {
      socket.end(typeof input === "string" ? Buffer.from(input, "utf8") : input);
    } else if (input) {
      input.on("error", (err) => void drive.cancel(new VMError("INTERNAL", "reading stdin failed", { provider: ctx.provider, operation, cause: err })));
      input.pipe(socket);
    }
  }
  return drive;
}

/**
 * When the engine could not even start the wrapper (missing `cwd`, unknown `user`), it
 * writes its own message to the stream and exits 126/127; that is an error, not a result.
 */
export function runtimeFailure(result: ExecResult, req: Pick<ExecRequest, "options">): { code: "NOT_FOUND" | "INTERNAL"; message: string } | undefined {
  if (result.exit_code !== 126 && result.exit_code !== 127) return undefined;
  const text = `${result.stdout}${result.stderr}`;
  if (!/^(OCI runtime exec failed|unable to find (user|group))/.test(text)) return undefined;
  if (/chdir to cwd/.test(text)) return { code: "NOT_FOUND", message: `cwd ${JSON.stringify(req.options.cwd ?? "")} does not exist in the instance` };
  if (/unable to find (user|group)|no matching entries in (passwd|group) file/.test(text)) {
    return { code: "NOT_FOUND", message: `user ${JSON.stringify(req.options.user ?? "")} does not exist in the instance` };
  }
  if (/executable file not found|no such file or directory/.test(text)) return { code: "NOT_FOUND", message: "the instance has no /bin/sh, which exec needs" };
  return { code: "INTERNAL", message: `the engine could not start the command: ${text.trim().slice(0, 300)}` };
}

/**
 * Runs a command and collects its output, capped at `maxOutputBytes` (stdout + stderr):
 * past it the command is killed and the call fails with INVALID_ARGUMENT.
 */
export async function runExec(ctx: DockerContext, req: ExecRequest, maxOutputBytes = ctx.maxOutputBytes): Promise<ExecResult> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let total = 0;
  const drive = await startDrive(ctx, req, (stream, data, d) => {
    total += data.length;
    if (total > maxOutputBytes) {
      void d.cancel(
        new VMError(
          "INVALID_ARGUMENT",
          `the command printed more than maxOutputBytes (${maxOutputBytes} bytes) and was killed; use execStream for large output or raise maxOutputBytes`,
          { provider: ctx.provider, operation: req.operation },
        ),
      );
      return;
    }
    (stream === "stdout" ? stdout : stderr).push(data);
  });
  const exit_code = await drive.exitCode;
  // Decode once at the end, so a character split across frames survives.
  const result = { stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8"), exit_code };
  const failure = runtimeFailure(result, req);
  if (failure) throw new VMError(failure.code, failure.message, { provider: ctx.provider, operation: req.operation });
  return result;
}

/**
 * Runs a command and yields output as it arrives, then one exit chunk. Returning early
 * from the loop kills the command in the container.
 */
export async function* streamExec(ctx: DockerContext, req: ExecRequest): AsyncGenerator<ExecStreamChunk, void, undefined> {
  // The queue holds raw frames and counts raw bytes, in and out: one unit. Decoding happens
  // when a chunk is handed to the consumer. (Counting decoded text out against bytes in made
  // the counter go negative on invalid UTF-8, where one byte becomes U+FFFD, three bytes,
  // so the socket was never paused and memory grew without bound.)
  const queue: { type: "stdout" | "stderr"; data: Buffer }[] = [];
  let queued = 0;
  let paused = false;
  let wake: (() => void) | undefined;
  const decoders = { stdout: new TextDecoder("utf-8"), stderr: new TextDecoder("utf-8") };
  const drive = await startDrive(ctx, req, (stream, data, d) => {
    if (data.length === 0) return;
    queue.push({ type: stream, data });
    queued += data.length;
    if (queued > STREAM_HIGH_WATER && !paused) {
      paused = true;
      d.socket.pause();
    }
    wake?.();
  });
  let outcome: { code: number } | { error: unknown } | undefined;
  drive.exitCode.then(
    (code) => {
      outcome = { code };
      wake?.();
    },
    (error: unknown) => {
      outcome = { error };
      wake?.();
    },
  );
  try {
    for (;;) {
      const frame = queue.shift();
      if (frame) {
        queued -= frame.data.length;
        if (paused && queued < STREAM_HIGH_WATER / 2) {
          paused = false;
          drive.socket.resume();
        }
        // A character split across frames waits in the decoder for its next bytes.
        const text = decoders[frame.type].decode(frame.data, { stream: true });
        if (text.length > 0) yield { type: frame.type, data: text };
        continue;
      }
      if (outcome) {
        if ("error" in outcome) throw outcome.error;
        for (const type of ["stdout", "stderr"] as const) {
          const rest = decoders[type].decode();
          if (rest.length > 0) yield { type, data: rest };
        }
        yield { type: "exit", exit_code: outcome.code };
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    if (!outcome) await drive.cancel(new VMError("ABORTED", "the stream was closed by the caller", { provider: ctx.provider, operation: req.operation }));
  }
}
