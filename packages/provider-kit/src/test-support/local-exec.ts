import { spawn } from "node:child_process";
import type { ExecFunction, ExecResult } from "@vm/core";

/** One recorded call of a local exec. */
export interface LocalExecCall {
  argv: readonly string[];
  stdinBytes: number;
  argvBytes: number;
}

/** A real exec: runs the argv with the local bash (no shell in between), stdin piped. */
export interface LocalExec {
  exec: ExecFunction;
  calls: LocalExecCall[];
}

/**
 * Runs each argv as a real local process (`spawn(argv[0], argv.slice(1))`), optionally as
 * another uid/gid through `setpriv`, so permission errors are real even when tests run as root.
 */
export function createLocalExec(options: { uid?: number; gid?: number; cwd?: () => string } = {}): LocalExec {
  const calls: LocalExecCall[] = [];
  const exec: ExecFunction = (_instanceId, argv, execOptions) => {
    calls.push({
      argv: [...argv],
      stdinBytes: execOptions?.stdin === undefined ? 0 : Buffer.byteLength(execOptions.stdin),
      argvBytes: argv.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0),
    });
    const full =
      options.uid === undefined
        ? [...argv]
        : ["setpriv", `--reuid=${options.uid}`, `--regid=${options.gid ?? options.uid}`, "--clear-groups", "--", ...argv];
    return new Promise<ExecResult>((resolve, reject) => {
      const child = spawn(full[0]!, full.slice(1), { stdio: ["pipe", "pipe", "pipe"], cwd: options.cwd?.() });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.on("error", reject);
      // A script that fails early never reads stdin; that EPIPE is not a failure.
      child.stdin.on("error", () => undefined);
      child.on("close", (code, signal) => {
        resolve({
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          exit_code: code ?? (signal ? 128 : 1),
        });
      });
      if (execOptions?.stdin !== undefined) child.stdin.end(execOptions.stdin);
      else child.stdin.end();
    });
  };
  return { exec, calls };
}
