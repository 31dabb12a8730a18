import type { ExecResult } from "@vm/core";
import { VMError, isVMError, type ErrorContext } from "@vm/provider-kit";
import { PM2_MISSING_MARKER } from "./driver.js";
import { stripAnsi } from "./jlist.js";

const MAX_DETAIL = 300;

/** Replaces every secret (env value) of at least 3 characters with `***`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 3) out = out.split(secret).join("***");
  }
  return out;
}

// The part of pm2's stderr worth showing: its [PM2][ERROR]/[WARN] lines, else the last lines.
function detail(stderr: string, secrets: readonly string[]): string {
  const lines = stripAnsi(stderr)
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const flagged = lines.filter((line) => /^\[PM2\]\[(ERROR|WARN)\]/.test(line));
  const text = redact((flagged.length > 0 ? flagged : lines.slice(-3)).join(" | "), secrets);
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 3)}...` : text;
}

/**
 * What the driver's missing-runtime line says: `__VM_PM2_MISSING__ <what>|<user>|<PATH>`, where
 * `<what>` is `node`, `pm2` or `node and pm2`.
 */
export function missingRuntimeMessage(stderr: string): string {
  const line = stderr.split("\n").find((l) => l.includes(PM2_MISSING_MARKER)) ?? "";
  const [what = "", user = "", path = ""] = line.slice(line.indexOf(PM2_MISSING_MARKER) + PM2_MISSING_MARKER.length).trim().split("|");
  const missing = /^(node|pm2|node and pm2)$/.test(what) ? what : "pm2";
  const forUser = user ? ` for user ${user}` : "";
  const onPath = path ? ` (PATH=${path})` : "";
  return `${missing} not found on PATH${forUser}${onPath}: @vm/pm2 runs pm2 (a Node.js program) in the VM; install both with installPM2() from @vm/pm2, or boot an image that has them`;
}

/**
 * The one place a failed driver exec becomes a `VMError`:
 * - exit 127 with the driver's marker → `UNSUPPORTED`, naming what is missing (`node`, `pm2` or
 *   both) and for which user: the VM lacks what the service needs, so no call can work on it
 *   (`NOT_FOUND` is kept for unknown process names, which callers may treat as "already gone");
 * - pm2's "not found" / "id unknown" / "Script not found" → `NOT_FOUND`;
 * - anything else → `INTERNAL`, with pm2's own error line (env values redacted).
 *
 * @example
 * ```ts
 * const err = fromPM2Result({ stdout: "", stderr: "__VM_PM2_MISSING__ node and pm2|root|/usr/bin:/bin", exit_code: 127 }, { provider: "docker", operation: "processes.list" });
 * err.code; // "UNSUPPORTED"
 * err.message; // "node and pm2 not found on PATH for user root (PATH=/usr/bin:/bin): ..."
 * ```
 */
export function fromPM2Result(result: ExecResult, ctx: ErrorContext, secrets: readonly string[] = []): VMError {
  if (result.exit_code === 127 && result.stderr.includes(PM2_MISSING_MARKER)) {
    return new VMError("UNSUPPORTED", missingRuntimeMessage(result.stderr), ctx);
  }
  const why = detail(result.stderr, secrets);
  const suffix = why ? `: ${why}` : "";
  if (/not found|id unknown|No process found/i.test(stripAnsi(result.stderr))) {
    return new VMError("NOT_FOUND", `pm2 ${ctx.operation} failed${suffix}`, ctx);
  }
  return new VMError("INTERNAL", `pm2 ${ctx.operation} failed (exit ${result.exit_code})${suffix}`, ctx);
}

/** Errors thrown by the exec function itself: provider VMErrors pass through, the rest become `INTERNAL`. */
export function fromExecError(err: unknown, ctx: ErrorContext): VMError {
  if (err instanceof VMError) return err;
  if (isVMError(err)) return new VMError(err.code, err.message, { ...ctx, cause: err });
  return new VMError("INTERNAL", `exec failed while running pm2 ${ctx.operation}`, { ...ctx, cause: err });
}
