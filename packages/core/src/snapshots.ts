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
 * Options for `snapshots.create()` and `snapshots.fromImage()`.
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
  /** Save a running instance's state. */
  create(instanceId: string, options?: CreateSnapshotOptions): Promise<VMSnapshot>;
  /** Throws `CONFLICT` while instances still use it, `NOT_FOUND` if unknown. */
  delete(snapshotId: string): Promise<void>;
  /** Make a bootable snapshot from an image (`images.list()` ids or a provider-specific reference). */
  fromImage(imageId: string, options?: CreateSnapshotOptions): Promise<VMSnapshot>;
}
