import type { InstanceStatus } from "@vm/core";

/**
 * Maps a Docker container state onto the contract's statuses:
 * `created`/`restarting` → booting, `running` → ready, `paused` → stopped (a paused container
 * runs no commands; this provider never pauses), `removing` → stopping, `exited` → stopped,
 * `dead` → error. An unknown state is `error`.
 *
 * `bootDeadline` is the deadline of the boot that created the container (the
 * `dev.vm.boot.deadline` label). A container still `created` after it is a boot that was
 * abandoned between create and start (the engine or the caller's process died there, so no
 * one could remove it): nothing will ever start it, so it is `error`, not `booting` forever.
 */
export function mapContainerState(state: string | undefined, bootDeadline?: string, now: number = Date.now()): InstanceStatus {
  switch (state?.toLowerCase()) {
    case "created": {
      const deadline = bootDeadline === undefined ? Number.NaN : Date.parse(bootDeadline);
      return deadline < now ? "error" : "booting";
    }
    case "restarting":
      return "booting";
    case "running":
      return "ready";
    case "paused":
    case "exited":
      return "stopped";
    case "removing":
      return "stopping";
    default:
      return "error";
  }
}
