import type { InstanceFilters, SnapshotFilters, VMInstance, VMSnapshot } from "@vm/core";

/**
 * True when every wanted key/value is an own property of the resource's metadata. Own
 * properties only: a key such as `__proto__`, `constructor` or `toString` must be in the
 * metadata itself, never found through `Object.prototype`.
 *
 * Providers re-check every list filter with this on the client whatever the server did with
 * it: a server that ignores a key it does not understand would otherwise return everything,
 * and a caller terminating what a filter returns would terminate strangers.
 *
 * @example
 * ```ts
 * import { matchesMetadata } from "@vm/provider-kit";
 * matchesMetadata({ app: "demo", env: "ci" }, { app: "demo" }); // true
 * matchesMetadata({}, { toString: "x" }); // false
 * ```
 */
export function matchesMetadata(actual: Record<string, string> | undefined, wanted: Record<string, string> | undefined): boolean {
  if (!wanted) return true;
  const own = actual ?? {};
  return Object.entries(wanted).every(([key, value]) => Object.hasOwn(own, key) && own[key] === value);
}

/**
 * True when an instance passes the (already validated) `instances.list` filters.
 *
 * @example
 * ```ts
 * import { matchesInstanceFilters } from "@vm/provider-kit";
 * matchesInstanceFilters(instance, { status: ["ready"], metadata: { app: "demo" } });
 * ```
 */
export function matchesInstanceFilters(instance: Pick<VMInstance, "status" | "metadata">, filters: InstanceFilters): boolean {
  const status = typeof filters.status === "string" ? [filters.status] : filters.status;
  return matchesMetadata(instance.metadata, filters.metadata) && (status === undefined || status.includes(instance.status));
}

/**
 * True when a snapshot passes the (already validated) `snapshots.list` filters.
 *
 * @example
 * ```ts
 * import { matchesSnapshotFilters } from "@vm/provider-kit";
 * matchesSnapshotFilters(snapshot, { digest: "deps-v1" });
 * ```
 */
export function matchesSnapshotFilters(snapshot: Pick<VMSnapshot, "digest" | "metadata">, filters: SnapshotFilters): boolean {
  return matchesMetadata(snapshot.metadata, filters.metadata) && (filters.digest === undefined || snapshot.digest === filters.digest);
}
