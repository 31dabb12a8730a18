import type { InstanceStatus } from "@vm/core";

/**
 * Maps a Docker container state onto the contract's statuses:
 * `created`/`restarting` → booting, `running` → ready, `paused` → stopped (a paused container
 * runs no commands; this provider never pauses), `removing` → stopping, `exited` → stopped,
 * `dead` → error. An unknown state is `error`.
 *
 * @example
 * ```ts
 * import { mapContainerState } from "@vm/provider-docker";
 * mapContainerState("running"); // "ready"
 * ```
 */
export function mapContainerState(state: string | undefined): InstanceStatus {
  switch (state?.toLowerCase()) {
    case "created":
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
