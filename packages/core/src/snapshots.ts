import type { VMResources, VMResourcesInForce } from "./resources.js";

/**
 * Lifecycle state of a snapshot.
 *
 * @example
 * ```ts
 * import type { SnapshotStatus } from "@vm/core";
 * const usable: SnapshotStatus = "ready";
 * ```
 */
export type SnapshotStatus = "creating" | "ready" | "deleting" | "error";

/**
 * Saved machine state that instances boot from.
 *
 * @example
 * ```ts
 * import type { VMSnapshot } from "@vm/core";
 * const bootable = (s: VMSnapshot) => s.status === "ready";
 * ```
 */
export interface VMSnapshot {
  readonly id: string;
  readonly status: SnapshotStatus;
  /** ISO-8601 timestamp. */
  readonly created_at: string;
  readonly metadata?: Record<string, string>;
  /** Caller-chosen idempotency key: creating with the same digest returns the same snapshot. */
  readonly digest?: string;
  /** The image this snapshot was made from, when known. */
  readonly image_id?: string;
  /**
   * The resources instances booted from it get (unless `BootOptions.resources` overrides them):
   * those given to `fromImage()` (defaults filled in), or for `create()` the instance's. Absent
   * when the provider does not know them (a snapshot made before it recorded them).
   */
  readonly resources?: VMResourcesInForce;
}

/**
 * Filters for `snapshots.list()`.
 *
 * @example
 * ```ts
 * import type { SnapshotFilters } from "@vm/core";
 * const filters: SnapshotFilters = { metadata: { app: "demo" } };
 * ```
 */
export interface SnapshotFilters {
  /**
   * Every key/value here must be present on the snapshot.
   *
   * @default no metadata filter
   */
  metadata?: Record<string, string>;
  /**
   * Only the snapshot with this digest.
   *
   * @default no digest filter
   */
  digest?: string;
}

/**
 * Options for `snapshots.create()` (and, with `resources`, `FromImageOptions` for `fromImage()`).
 *
 * @example
 * ```ts
 * import type { CreateSnapshotOptions } from "@vm/core";
 * const options: CreateSnapshotOptions = { digest: "deps-v1", metadata: { stage: "deps" } };
 * ```
 */
export interface CreateSnapshotOptions {
  /**
   * String labels to attach; `list({ metadata })` filters on them.
   *
   * @default `{}`
   */
  metadata?: Record<string, string>;
  /**
   * Idempotency key: the same digest returns the existing snapshot instead of a new one.
   *
   * @default none: every call makes a new snapshot
   */
  digest?: string;
}

/**
 * Options for `snapshots.fromImage()`: those of `create()` plus the machine size. `create()`
 * takes no `resources`: a snapshot of an instance keeps that instance's (as on Morph, whose
 * instance snapshot request has no size), and `boot()` can override them.
 *
 * @example
 * ```ts
 * import type { FromImageOptions } from "@vm/core";
 * const options: FromImageOptions = { digest: "base-v1", resources: { vcpus: 2, memoryMb: 1024 } };
 * ```
 */
export interface FromImageOptions extends CreateSnapshotOptions {
  /**
   * The size of the instances booted from this snapshot; each missing field takes the
   * provider's default. With a `digest` that names an existing snapshot, that snapshot is
   * returned as it is (its own resources).
   *
   * @default the provider's defaults (`DEFAULT_VM_RESOURCES` of `@vm/provider-kit`: 2 vCPUs, 2048 MB memory, 8192 MB disk)
   */
  resources?: VMResources;
}

/**
 * Snapshot management.
 *
 * @example
 * ```ts
 * import type { VMSnapshotService } from "@vm/core";
 * async function firstSnapshot(snapshots: VMSnapshotService, imageId: string) {
 *   return snapshots.fromImage(imageId, { digest: `base-${imageId}` });
 * }
 * ```
 */
export interface VMSnapshotService {
  /** Throws `NOT_FOUND` for an unknown id. */
  get(snapshotId: string): Promise<VMSnapshot>;
  list(filters?: SnapshotFilters): Promise<VMSnapshot[]>;
  /** Save a running instance's state; a stopped (or still booting) instance is `CONFLICT`. */
  create(instanceId: string, options?: CreateSnapshotOptions): Promise<VMSnapshot>;
  /** Throws `CONFLICT` while instances still use it, `NOT_FOUND` if unknown. */
  delete(snapshotId: string): Promise<void>;
  /** Make a bootable snapshot from an image (`images.list()` ids or a provider-specific reference). */
  fromImage(imageId: string, options?: FromImageOptions): Promise<VMSnapshot>;
}
