import type { InstanceStatus, SnapshotStatus, TtlAction, VMImage, VMInstance, VMResourcesInForce, VMSnapshot } from "@vm/core";
import { parseResources, statusMapper } from "@vm/provider-kit";
import type { ResourceSpec } from "../spec/generated/types.gen.js";
import type { ImageModel, InstanceModel, SnapshotModel } from "../spec/responses.js";

/**
 * Metadata key the provider adds to everything it creates, so that a create whose answer
 * was lost can be found (instead of being sent twice). It is hidden from returned metadata.
 */
export const REQUEST_MARKER_KEY = "vm_request_id";

/**
 * Metadata key on instances made by `fork()` (and on the branch snapshot Morph makes for
 * them): terminating the last such instance deletes that snapshot, so forks leak nothing.
 * Hidden from returned metadata.
 */
export const BRANCH_KEY = "vm_branch";

const HIDDEN_KEYS: readonly string[] = [REQUEST_MARKER_KEY, BRANCH_KEY];

/** Morph instance status -> contract status. `saving` keeps running, so it reads as `ready`. */
export const instanceStatusOf: (status: InstanceModel["status"] | undefined) => InstanceStatus = statusMapper<NonNullable<InstanceModel["status"]>, InstanceStatus>(
  { pending: "booting", ready: "ready", saving: "ready", paused: "stopped", error: "error" },
  "booting",
);

/** Morph snapshot status -> contract status. */
export const snapshotStatusOf: (status: SnapshotModel["status"]) => SnapshotStatus = statusMapper<SnapshotModel["status"], SnapshotStatus>(
  { pending: "creating", ready: "ready", failed: "error", deleting: "deleting", deleted: "deleting" },
  "creating",
);

/** Contract TTL action -> Morph's: Morph `stop` deletes the instance, `pause` keeps it. */
export function morphTtlAction(action: TtlAction): "stop" | "pause" {
  return action === "terminate" ? "stop" : "pause";
}

/** Morph TTL action -> contract. */
export function contractTtlAction(action: "stop" | "pause"): TtlAction {
  return action === "stop" ? "terminate" : "stop";
}

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

function userMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  // fromEntries, not assignment: a key "__proto__" stays a key (assigning it sets the prototype).
  return Object.fromEntries(Object.entries(metadata ?? {}).filter(([key]) => !HIDDEN_KEYS.includes(key)));
}

/** Morph's `ResourceSpec` (memory and disk in MB) -> the contract's resources; unreadable -> none. */
export function resourcesOfSpec(spec: ResourceSpec | undefined): VMResourcesInForce | undefined {
  return spec === undefined ? undefined : parseResources({ vcpus: spec.vcpus, memoryMb: spec.memory, diskMb: spec.disk_size });
}

/** `InstanceModel` -> `VMInstance`. */
export function toVMInstance(model: InstanceModel): VMInstance {
  const ttlSeconds = model.ttl.ttl_seconds;
  return {
    id: model.id,
    status: instanceStatusOf(model.status),
    metadata: userMetadata(model.metadata),
    created_at: iso(model.created),
    snapshot_id: model.refs.snapshot_id,
    ...(ttlSeconds === null || ttlSeconds === undefined
      ? {}
      : { ttl: { seconds: ttlSeconds, action: contractTtlAction(model.ttl.ttl_action) } }),
    ...withResources(model.spec),
  };
}

/** `SnapshotModel` -> `VMSnapshot`. */
export function toVMSnapshot(model: SnapshotModel): VMSnapshot {
  return {
    id: model.id,
    status: snapshotStatusOf(model.status),
    created_at: iso(model.created),
    metadata: userMetadata(model.metadata),
    ...(model.digest ? { digest: model.digest } : {}),
    image_id: model.refs.image_id,
    ...withResources(model.spec),
  };
}

function withResources(spec: ResourceSpec | undefined): { resources?: VMResourcesInForce } {
  const resources = resourcesOfSpec(spec);
  return resources ? { resources } : {};
}

/** `ImageModel` -> `VMImage`. */
export function toVMImage(model: ImageModel): VMImage {
  return {
    id: model.id,
    name: model.name,
    ...(model.description ? { description: model.description } : {}),
    created_at: iso(model.created),
  };
}
