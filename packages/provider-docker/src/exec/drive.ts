import { type Duplex, Readable } from "node:stream";
import type { ExecOptions } from "@vm/core";
import { VMError } from "@vm/provider-kit";
import { execTagEntry, newExecId } from "@vm/provider-kit/internal";
import type Dockerode from "dockerode";
import type { DockerContext } from "../context.js";
import { createDemuxer } from "../demux.js";
import { fromDockerError } from "../errors.js";
import { execWrapperArgv } from "../scripts.js";
import { exitCodeOf, instanceEnded } from "./instance-ended.js";
import { killInContainer } from "./kill.js";
import { resolveExecUser } from "./user.js";
import { assertFitsInstanceEnv } from "./validate.js";

/** Input for one exec; `stdin` may also be a stream (used internally for big file writes). */
export interface ExecRequest {
  instanceId: string;
  argv: readonly string[];
  /** The container's own environment (`Config.Env`: its image's `ENV`), when known: it counts against ARG_MAX too. */
  instanceEnv?: readonly string[];
  options: Omit<ExecOptions, "stdin"> & { stdin?: string | Uint8Array | Readable | AsyncIterable<string | Uint8Array> };
  operation: string;
}

export interface Drive {
  readonly exitCode: Promise<number>;
  /** The exec's kill tag (`VM_EXEC_ID`); the wrapper's "could not start" marker carries it. */
  readonly execId: string;
  /** Kill the command in the container and stop reading; the exitCode promise rejects with `reason`. */
  cancel(reason: VMError): Promise<void>;
  readonly socket: Duplex;
}

/** Starts the exec (wrapped so it can be killed) and wires timeout, abort and frame delivery. */
export async function startDrive(
  ctx: DockerContext,
  req: ExecRequest,
  onFrame: (stream: "stdout" | "stderr", data: Buffer, drive: Drive) => void,
): Promise<Drive> {
  const { instanceId, argv, options, operation } = req;
  const container = ctx.docker.getContainer(instanceId);
  const aborted = (message = "the command was aborted and killed") => new VMError("ABORTED", message, { provider: ctx.provider, operation, cause: options.signal?.reason });
  const cmd = execWrapperArgv(argv, options);
  // Checked with the identity variables a `user` adds below; without one, here, before any call.
  if (req.instanceEnv && options.user === undefined) assertFitsInstanceEnv(cmd, options.env, req.instanceEnv, { provider: ctx.provider, operation });
  const identity = await resolveExecUser(ctx, container, options, operation);
  const callEnv = { ...(identity?.env ?? {}), ...(options.env ?? {}) };
  if (req.instanceEnv && identity) assertFitsInstanceEnv(cmd, callEnv, req.instanceEnv, { provider: ctx.provider, operation });
  // The kill tag is the provider's alone (the kit refuses a caller's own VM_EXEC_ID).
  const execId = newExecId();
  const env = [...Object.entries(callEnv).map(([k, v]) => `${k}=${v}`), execTagEntry(execId)];
  const hasStdin = options.stdin !== undefined;
  // The signal may fire while an earlier step (or the create below) is awaited: no listener is
  // registered yet, so it is checked here. Before `start` nothing runs yet: no kill is needed.
  if (options.signal?.aborted) throw aborted("the command was aborted before it started");
  let exec: Dockerode.Exec;
  let socket: Duplex;
  try {
    exec = await container.exec({
      Cmd: cmd,
      AttachStdin: hasStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: env,
      // No WorkingDir: the engine enters it as root, before switching user; the wrapper enters
      // it as the user (a directory that user may not search is refused).
      ...(identity ? { User: identity.engineUser } : {}),
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
  let deadline: number | undefined;
  const onAbort = () => void drive.cancel(aborted());
  const cleanup = () => {
    settled = true;
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  };

  const drive: Drive = {
    exitCode,
    execId,
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
  const timedOut = () => new VMError("TIMEOUT", `the command ran longer than ${options.timeoutMs} ms and was killed`, { provider: ctx.provider, operation });
  const onEnd = () => {
    if (ended || settled) return;
    ended = true;
    // Past the deadline the end may be the container's watchdog (EXEC_WRAPPER) killing the
    // command before this client's own timer ran (a loaded client): that is the timeout too.
    if (deadline !== undefined && Date.now() >= deadline) {
      void drive.cancel(timedOut());
      return;
    }
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
    deadline = Date.now() + options.timeoutMs;
    timer = setTimeout(() => void drive.cancel(timedOut()), options.timeoutMs);
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
      const readable = input instanceof Readable ? input : Readable.from(stdinChunks(input, { provider: ctx.provider, operation }), { objectMode: false });
      // A caller's iterable that throws (or yields a wrong type) ends the command: killed, and the call rejects.
      readable.on("error", (err) => void drive.cancel(err instanceof VMError ? err : new VMError("INTERNAL", "reading stdin failed", { provider: ctx.provider, operation, cause: err })));
      // The command ended first: stop pulling from the caller's iterable (its return() runs).
      drive.exitCode.then(
        () => readable.destroy(),
        () => readable.destroy(),
      );
      readable.pipe(socket);
    }
  }
  return drive;
}


/** A caller's streamed stdin as bytes; a chunk that is neither a string nor bytes is `INVALID_ARGUMENT`. */
async function* stdinChunks(input: AsyncIterable<string | Uint8Array>, ctx: { provider: string; operation: string }): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    if (typeof chunk === "string") yield Buffer.from(chunk, "utf8");
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else throw new VMError("INVALID_ARGUMENT", `stdin yielded ${chunk === null ? "null" : typeof chunk}; it must yield strings or Uint8Arrays`, ctx);
  }
}
