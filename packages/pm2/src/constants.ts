/**
 * Where every `@vm/pm2` call points `PM2_HOME` inside the VM. Pinning it means execs that
 * run as different users, or with a different `HOME`, all talk to the same PM2 daemon,
 * and a provider knows where PM2's dump lives when it snapshots or forks a VM.
 */
export const DEFAULT_PM2_HOME = "/var/lib/vm/pm2";

/** Provider name used in `VMError.provider` when the caller gives none. */
export const DEFAULT_PROVIDER = "pm2";
