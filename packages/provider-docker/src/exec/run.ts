import type { ExecResult } from "@vm/core";
import { VMError } from "@vm/provider-kit";
import { readStartFailure, startFailureError } from "@vm/provider-kit/internal";
import type { DockerContext } from "../context.js";
import { type ExecRequest, startDrive } from "./drive.js";


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
  // The wrapper could not enter cwd as the exec's user: NOT_FOUND, as on every provider.
  const notStarted = readStartFailure(result, drive.execId);
  if (notStarted) throw startFailureError(notStarted, req.options, { provider: ctx.provider, operation: req.operation });
  const failure = runtimeFailure(result, req);
  if (failure) throw new VMError(failure.code, failure.message, { provider: ctx.provider, operation: req.operation });
  return result;
}

