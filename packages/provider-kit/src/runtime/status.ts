import type { InstanceStatus, SnapshotStatus } from "@vm/core";

/**
 * Every `InstanceStatus` of the contract, in lifecycle order.
 */
export const INSTANCE_STATUSES: readonly InstanceStatus[] = Object.freeze(["booting", "ready", "paused", "stopping", "stopped", "error"]);

/**
 * Every `SnapshotStatus` of the contract, in lifecycle order.
 */
export const SNAPSHOT_STATUSES: readonly SnapshotStatus[] = Object.freeze(["creating", "ready", "deleting", "error"]);

/**
 * The contract's legal instance status changes: what a status may become next. `paused` comes
 * back to `ready` by `resume()`; the contract has no start call, so `stopped` and `error` lead
 * nowhere (only `terminate()`, which removes the instance); `stopping` ends in `stopped` or `error`.
 */
export const INSTANCE_TRANSITIONS: Readonly<Record<InstanceStatus, readonly InstanceStatus[]>> = Object.freeze({
  booting: Object.freeze(["ready", "stopping", "stopped", "error"] as const),
  ready: Object.freeze(["paused", "stopping", "stopped", "error"] as const),
  paused: Object.freeze(["ready", "stopping", "stopped", "error"] as const),
  stopping: Object.freeze(["stopped", "error"] as const),
  stopped: Object.freeze([] as const),
  error: Object.freeze([] as const),
});

/**
 * The contract's legal snapshot status changes: a snapshot being created ends `ready` or
 * `error`, and any of them may be deleted.
 */
export const SNAPSHOT_TRANSITIONS: Readonly<Record<SnapshotStatus, readonly SnapshotStatus[]>> = Object.freeze({
  creating: Object.freeze(["ready", "error", "deleting"] as const),
  ready: Object.freeze(["deleting"] as const),
  error: Object.freeze(["deleting"] as const),
  deleting: Object.freeze([] as const),
});

function reaches<S extends string>(transitions: Readonly<Record<S, readonly S[]>>, from: S, target: S): boolean {
  const seen = new Set<S>([from]);
  const queue: S[] = [from];
  while (queue.length > 0) {
    const current = queue.shift() as S;
    if (current === target) return true;
    for (const next of transitions[current]) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

/**
 * True when an instance in status `from` can still come to be in `target` (itself included)
 * by legal changes: a provider waiting for `ready` gives up at once on a status that cannot
 * get there (`stopped`, `error`) instead of waiting out its deadline.
 *
 * @example
 * ```ts
 * import { canInstanceReach } from "@vm/provider-kit";
 * canInstanceReach("booting", "ready"); // true
 * canInstanceReach("stopped", "ready"); // false
 * ```
 */
export function canInstanceReach(from: InstanceStatus, target: InstanceStatus): boolean {
  return reaches(INSTANCE_TRANSITIONS, from, target);
}

/**
 * True when a snapshot in status `from` can still come to be in `target` (itself included).
 *
 * @example
 * ```ts
 * import { canSnapshotReach } from "@vm/provider-kit";
 * canSnapshotReach("creating", "ready"); // true
 * canSnapshotReach("deleting", "ready"); // false
 * ```
 */
export function canSnapshotReach(from: SnapshotStatus, target: SnapshotStatus): boolean {
  return reaches(SNAPSHOT_TRANSITIONS, from, target);
}

/**
 * Options of `statusMapper()`.
 *
 * @example
 * ```ts
 * import type { StatusMapperOptions } from "@vm/provider-kit";
 * const options: StatusMapperOptions = { ignoreCase: true };
 * ```
 */
export interface StatusMapperOptions {
  /**
   * Match the backend's status whatever its case (`RUNNING` as `running`); the table's keys
   * must then be lower case.
   * @default false
   */
  ignoreCase?: boolean;
}

/**
 * Builds the function that turns a backend's raw status into the contract's, from a table that
 * is only data: one entry per raw status the backend documents (a typed `Raw` union makes the
 * compiler ask for every one), and `fallback` for anything else (a status the backend added
 * later, `undefined`). Only the table's own keys match: a raw status such as `"constructor"` or
 * `"__proto__"` is `fallback`, never something inherited from `Object.prototype`.
 *
 * @example
 * ```ts
 * import { statusMapper } from "@vm/provider-kit";
 * const fromBackend = statusMapper({ starting: "booting", up: "ready", down: "stopped" }, "error");
 * fromBackend("up"); // "ready"
 * fromBackend("exploded"); // "error"
 * ```
 */
export function statusMapper<Raw extends string, Status extends string>(
  table: Readonly<Record<Raw, Status>>,
  fallback: Status,
  options: StatusMapperOptions = {},
): (raw: string | null | undefined) => Status {
  const entries = new Map(Object.entries<Status>(table));
  const ignoreCase = options.ignoreCase ?? false;
  return (raw) => {
    if (typeof raw !== "string") return fallback;
    return entries.get(ignoreCase ? raw.toLowerCase() : raw) ?? fallback;
  };
}
