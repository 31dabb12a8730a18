import type { InstanceStatus } from "@vm/core";
import { statusMapper } from "@vm/provider-kit";

// The engine's container states (lower case; the engine has answered "Running" too).
const fromContainerState = statusMapper<string, InstanceStatus>(
  { created: "booting", restarting: "booting", running: "ready", paused: "paused", exited: "stopped", removing: "stopping", dead: "error" },
  "error",
  { ignoreCase: true },
);

/**
 * Maps a Docker container state onto the contract's statuses:
 * `created`/`restarting` → booting, `running` → ready, `paused` → paused (`instances.pause()`,
 * the engine's cgroup freeze), `removing` → stopping, `exited` → stopped,
 * `dead` → error. An unknown state is `error`.
 *
 * `bootDeadline` is the deadline of the boot that created the container (the
 * `dev.vm.boot.deadline` label). A container still `created` after it is a boot that was
 * abandoned between create and start (the engine or the caller's process died there, so no
 * one could remove it): nothing will ever start it, so it is `error`, not `booting` forever.
 */
export function mapContainerState(state: string | undefined, bootDeadline?: string, now: number = Date.now()): InstanceStatus {
  if (state?.toLowerCase() === "created") {
    const deadline = bootDeadline === undefined ? Number.NaN : Date.parse(bootDeadline);
    if (deadline < now) return "error";
  }
  return fromContainerState(state);
}
