import { spawn } from "node:child_process";
import type { ExecFunction, ExecOptions, ExecResult } from "@vm/core";
import { VMError } from "../errors.js";

/** One recorded call of a local exec. */
export interface LocalExecCall {
  argv: readonly string[];
  stdinBytes: number;
  argvBytes: number;
  timeoutMs: number | undefined;
  signal: AbortSignal | undefined;
  env: Readonly<Record<string, string>> | undefined;
}

/** A real exec: runs the argv with the local bash (no shell in between), stdin piped. */
export interface LocalExec {
  exec: ExecFunction;
  calls: LocalExecCall[];
}

/**
 * Runs each argv as a real local process (`spawn(argv[0], argv.slice(1))`), optionally as
 * another uid/gid through `setpriv`, so permission errors are real even when tests run as root.
 * Honours `timeoutMs` and `signal` like a provider: the process group is killed with SIGKILL
 * (no trap runs, as with Docker's kill) and the call rejects with `TIMEOUT` / `ABORTED` once
 * the process is gone. `holdStdinAfter`: send only that many bytes of stdin and keep it open,
 * so the command waits for the rest for ever (a write that cannot finish).
 */
export function createLocalExec(options: { uid?: number; gid?: number; cwd?: () => string; holdStdinAfter?: number } = {}): LocalExec {
  const calls: LocalExecCall[] = [];
  const exec: ExecFunction = (_instanceId, argv, givenOptions) => {
    // The file service only ever sends whole stdin (never an AsyncIterable).
    const execOptions = givenOptions as (Omit<ExecOptions, "stdin"> & { stdin?: string | Uint8Array }) | undefined;
    calls.push({
      argv: [...argv],
      stdinBytes: execOptions?.stdin === undefined ? 0 : Buffer.byteLength(execOptions.stdin),
      argvBytes: argv.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0),
      timeoutMs: execOptions?.timeoutMs,
      signal: execOptions?.signal,
      env: execOptions?.env,
    });
    const ctx = { provider: "local", operation: "exec" };
    if (execOptions?.signal?.aborted) return Promise.reject(new VMError("ABORTED", "aborted before the command started", ctx));
    const full =
      options.uid === undefined
        ? [...argv]
        : ["setpriv", `--reuid=${options.uid}`, `--regid=${options.gid ?? options.uid}`, "--clear-groups", "--", ...argv];
    return new Promise<ExecResult>((resolve, reject) => {
      const env = execOptions?.env === undefined ? undefined : { ...process.env, ...execOptions.env };
      const child = spawn(full[0]!, full.slice(1), { stdio: ["pipe", "pipe", "pipe"], cwd: options.cwd?.(), detached: true, env });
      let stopped: VMError | undefined;
      const stop = (reason: VMError) => {
        if (stopped || child.exitCode !== null || child.signalCode !== null) return;
        stopped = reason;
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      };
      const timer =
        execOptions?.timeoutMs === undefined ? undefined : setTimeout(() => stop(new VMError("TIMEOUT", `ran longer than ${execOptions.timeoutMs} ms`, ctx)), execOptions.timeoutMs);
      const onAbort = () => stop(new VMError("ABORTED", "aborted", ctx));
      execOptions?.signal?.addEventListener("abort", onAbort, { once: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.on("error", reject);
      // A script that fails early never reads stdin; that EPIPE is not a failure.
      child.stdin.on("error", () => undefined);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        execOptions?.signal?.removeEventListener("abort", onAbort);
        if (stopped) {
          reject(stopped);
          return;
        }
        resolve({
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          exit_code: code ?? (signal ? 128 : 1),
        });
      });
      if (execOptions?.stdin !== undefined && options.holdStdinAfter !== undefined) {
        child.stdin.write(Buffer.from(execOptions.stdin).subarray(0, options.holdStdinAfter));
      } else if (execOptions?.stdin !== undefined) child.stdin.end(execOptions.stdin);
      else child.stdin.end();
    });
  };
  return { exec, calls };
}
