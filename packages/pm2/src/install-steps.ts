import type { ExecResult } from "@vm/core";
import { VMError, type ErrorContext } from "@vm/provider-kit";
import { INSTALL_SH } from "./sh/install.sh.js";

/** `$0` of the install script in sh's own error messages. */
const ARGV0 = "vm-pm2-install";

/** Argv of one install-script operation (values only as positional arguments, never shell text). */
export function installArgv(op: "probe" | "unpack" | "network", prefix: string, ...args: string[]): string[] {
  return ["/bin/sh", "-c", INSTALL_SH, ARGV0, op, prefix, ...args];
}

/** What `probe` found in the VM; an empty version means "not on PATH". */
export interface ProbeResult {
  node: string;
  pm2: string;
  user: string;
  /** `uname -m`, e.g. `x86_64`. */
  arch: string;
  libc: "glibc" | "musl";
  /** The download tool the VM has (`curl`, `wget`) or `""`. */
  fetch: string;
}

/** Parses the `key=value` lines `probe` prints. */
export function parseProbe(result: ExecResult, ctx: ErrorContext): ProbeResult {
  if (result.exit_code !== 0) throw stepFailed("probe", result, ctx);
  const values = new Map<string, string>();
  for (const line of result.stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const get = (key: string) => values.get(key) ?? "";
  if (!values.has("node") || !values.has("pm2")) {
    throw new VMError("INTERNAL", `installPM2: unexpected probe output ${JSON.stringify(result.stdout.slice(0, 200))}`, ctx);
  }
  return { node: get("node"), pm2: get("pm2"), user: get("user"), arch: get("arch"), libc: get("libc") === "musl" ? "musl" : "glibc", fetch: get("fetch") };
}

/** A failed install step: its last stderr lines in the message. */
export function stepFailed(step: string, result: ExecResult, ctx: ErrorContext): VMError {
  const detail = result.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 400);
  const code = /Permission denied|Read-only file system/i.test(result.stderr) ? "PERMISSION_DENIED" : "INTERNAL";
  return new VMError(code, `installPM2: ${step} failed in the VM (exit ${result.exit_code})${detail ? `: ${detail}` : ""}`, ctx);
}
