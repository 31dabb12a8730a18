import { DRIVER_SH } from "./sh/driver.sh.js";

/**
 * Every pm2 call goes through this one fixed POSIX sh script, run as
 * `sh -c DRIVER vm-pm2 <pm2Home> <op> <args…>`. User values only ever arrive as positional arguments
 * ("$1", "$@"), so nothing a caller passes is parsed as shell text.
 *
 * Exit codes the service relies on (see `fromPM2Result`):
 * - 0 success;
 * - 127 with `__VM_PM2_MISSING__` on stderr: no `pm2` on PATH;
 * - anything else: pm2 (or base64/mkdir) failed; stderr says why.
 *
 * The script is ./sh/driver.sh, embedded at build time (scripts/embed-shell.mjs).
 */
export const DRIVER_SCRIPT = DRIVER_SH;

/** Marker the driver prints when node or pm2 is not on PATH. */
export const PM2_MISSING_MARKER = "__VM_PM2_MISSING__";

/** `argv[0]` after `-c SCRIPT`: what `$0` is called in error messages from sh. */
const ARGV0 = "vm-pm2";

/** Base64 chunk size per argv element: Linux caps one argument at 128 KiB. */
export const CHUNK_BYTES = 64 * 1024;

/** Largest ecosystem file we send (base64), well below the kernel's total argv limit. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Argv that runs one driver operation against the daemon in `pm2Home`. */
export function driverArgv(pm2Home: string, op: string, ...args: string[]): string[] {
  return ["/bin/sh", "-c", DRIVER_SCRIPT, ARGV0, pm2Home, op, ...args];
}

/** Splits base64 text into argv-sized chunks. */
export function chunk(text: string, size = CHUNK_BYTES): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts.length > 0 ? parts : [""];
}
