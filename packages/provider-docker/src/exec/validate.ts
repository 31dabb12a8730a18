import { VMError, commandBytes } from "@vm/provider-kit";
import { EXEC_TAG_VAR, execTagEntry, newExecId } from "@vm/provider-kit/internal";

/**
 * Linux ARG_MAX with the usual 8 MiB stack: argv and the environment of one execve, each
 * string's bytes, its NUL and an 8-byte pointer. An exec's argv (with the provider's
 * `EXEC_WRAPPER` and its arguments), its env and the instance's own environment (its image's `ENV`) must fit in
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
 * list too long" as a result. Counts what the engine really runs: `cmd` (the wrapper's argv,
 * `execWrapperArgv`) and `Config.Env` with the exec's env overriding entries of the same name.
 */
export function assertFitsInstanceEnv(cmd: readonly string[], env: Readonly<Record<string, string>> | undefined, instanceEnv: readonly string[], ctx: { provider: string; operation: string }): void {
  const merged = new Map<string, string>();
  for (const entry of instanceEnv) {
    const eq = entry.indexOf("=");
    merged.set(eq < 0 ? entry : entry.slice(0, eq), entry);
  }
  for (const [name, value] of Object.entries(env ?? {})) merged.set(name, `${name}=${value}`);
  // The kill tag (VM_EXEC_ID=<uuid>) is part of every exec's environment.
  merged.set(EXEC_TAG_VAR, execTagEntry(newExecId()));
  const total = commandBytes(cmd) + commandBytes([...merged.values()]);
  const limit = ARG_MAX_BYTES - ENGINE_EXEC_RESERVE_BYTES;
  if (total > limit) {
    throw new VMError(
      "INVALID_ARGUMENT",
      `argv and env take ${total} bytes with the provider's wrapper and the instance's own environment (its image's ENV: ${commandBytes(instanceEnv)} bytes); the limit is ${limit} bytes (Linux ARG_MAX, 2 MiB, less ${ENGINE_EXEC_RESERVE_BYTES} bytes for what the engine adds)`,
      ctx,
    );
  }
}
