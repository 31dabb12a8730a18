import type { ExecFunction } from "@vm/core";
import { assertId } from "@vm/provider-kit";
import { DEFAULT_PM2_HOME, DEFAULT_PROVIDER } from "./constants.js";
import { assertPM2Home, createDriverRunner, type PM2Home } from "./service.js";
import { RESURRECT_SH } from "./sh/resurrect.sh.js";

/**
 * Saves PM2's process list (`pm2 save --force`, into `DEFAULT_PM2_HOME/dump.pm2`) if a PM2
 * daemon runs in the VM; does nothing otherwise (no daemon, or no pm2 at all). Providers call
 * it before they snapshot or fork an instance, and run `PM2_RESURRECT_SCRIPT` when an
 * instance booted from that snapshot starts.
 *
 * The dump holds every process's env, values included: it is as secret as the env itself.
 *
 * @example
 * ```ts
 * import type { ExecFunction } from "@vm/core";
 * import { pm2Save } from "@vm/pm2";
 * async function beforeSnapshot(exec: ExecFunction, instanceId: string) {
 *   await pm2Save(exec, instanceId);
 * }
 * ```
 */
export async function pm2Save(
  exec: ExecFunction,
  instanceId: string,
  options: {
    /** Goes into `VMError.provider`. @default `"pm2"` */
    provider?: string;
    /** @default `120000` (120 s) */
    timeoutMs?: number;
    /** The same `pm2Home` as the process service's. @default `DEFAULT_PM2_HOME` */
    pm2Home?: PM2Home;
  } = {},
): Promise<void> {
  const ctx = { provider: options.provider ?? DEFAULT_PROVIDER, operation: "processes.save" };
  assertId(instanceId, ctx, "instanceId");
  const pm2Home = options.pm2Home ?? DEFAULT_PM2_HOME;
  assertPM2Home(pm2Home, ctx);
  await createDriverRunner(exec, pm2Home, options.timeoutMs ?? 120_000).run(instanceId, "save", [], ctx);
}

/**
 * A POSIX `sh` snippet for a provider's boot/init step: when a PM2 dump exists under
 * `DEFAULT_PM2_HOME` and pm2 is installed, it runs `pm2 resurrect` so the processes saved by
 * `pm2Save` come back. It runs in a subshell, prints nothing, and always exits 0: a broken dump
 * never fails a boot. Run it as `["sh", "-c", PM2_RESURRECT_SCRIPT]`, or embed it in an
 * entrypoint.
 *
 * The script is ./sh/resurrect.sh, embedded at build time (scripts/embed-shell.mjs).
 */
export const PM2_RESURRECT_SCRIPT = RESURRECT_SH;
