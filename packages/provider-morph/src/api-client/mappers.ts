import type { ExposedService, InstanceStatus, SnapshotStatus, TtlAction, VMImage, VMInstance, VMResourcesInForce, VMSnapshot } from "@vm/core";
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

/**
 * Metadata key `instances.stop()` sets before it pauses: Morph has no stop that keeps an
 * instance, only pause, so this is what tells the contract's `stopped` (resume is CONFLICT)
 * from `paused`. Hidden from returned metadata.
 */
export const STOPPED_KEY = "vm_stopped";

/**
 * Metadata key on an instance booted with `ttl_action: "stop"`: Morph pauses it when its TTL
 * runs out, and past `ttl_expire_at` such a paused instance reads as `stopped`. Hidden.
 */
export const TTL_STOP_KEY = "vm_ttl_stop";

const HIDDEN_KEYS: readonly string[] = [REQUEST_MARKER_KEY, BRANCH_KEY, STOPPED_KEY, TTL_STOP_KEY];

/** Morph instance status -> contract status. `saving` keeps running, so it reads as `ready`. */
const morphStatusOf: (status: InstanceModel["status"] | undefined) => InstanceStatus = statusMapper<NonNullable<InstanceModel["status"]>, InstanceStatus>(
  { pending: "booting", ready: "ready", saving: "ready", paused: "paused", error: "error" },
  "booting",
);

/**
 * An instance's contract status: Morph's, except that a paused instance that `stop()` marked,
 * or whose TTL with action "stop" has run out, is `stopped`.
 */
export function instanceStatusOf(model: Pick<InstanceModel, "status" | "metadata" | "ttl">, now: number = Date.now()): InstanceStatus {
  const status = morphStatusOf(model.status);
  if (status !== "paused") return status;
  const metadata = model.metadata ?? {};
  if (metadata[STOPPED_KEY] === "1") return "stopped";
  const expireAt = model.ttl?.ttl_expire_at;
  if (metadata[TTL_STOP_KEY] === "1" && typeof expireAt === "number" && expireAt * 1000 <= now) return "stopped";
  return "paused";
}

/** Morph snapshot status -> contract status. */
export const snapshotStatusOf: (status: SnapshotModel["status"]) => SnapshotStatus = statusMapper<SnapshotModel["status"], SnapshotStatus>(
  { pending: "creating", ready: "ready", failed: "error", deleting: "deleting", deleted: "deleting" },
  "creating",
);

/** Contract TTL action -> Morph's: Morph `stop` deletes the instance, `pause` keeps it (the contract's stop is a marked pause). */
export function morphTtlAction(action: TtlAction): "stop" | "pause" {
  return action === "terminate" ? "stop" : "pause";
}

/** Morph TTL action -> contract: a pause is the contract's `stop` when the boot marked it so. */
export function contractTtlAction(action: "stop" | "pause", metadata: Record<string, string> | undefined): TtlAction {
  if (action === "stop") return "terminate";
  return metadata?.[TTL_STOP_KEY] === "1" ? "stop" : "pause";
}

/** Morph's `InstanceHttpService` -> the contract's `ExposedService`. */
export function toExposedService(service: { name: string; port: number; url: string; auth_mode?: "none" | "api_key" | undefined }): ExposedService {
  return { name: service.name, port: service.port, url: service.url.endsWith("/") ? service.url : `${service.url}/`, auth: service.auth_mode ?? "none" };
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
  const services = (model.networking?.http_services ?? []).map(toExposedService);
  return {
    id: model.id,
    status: instanceStatusOf(model),
    metadata: userMetadata(model.metadata),
    created_at: iso(model.created),
    snapshot_id: model.refs.snapshot_id,
    ...(ttlSeconds === null || ttlSeconds === undefined
      ? {}
      : { ttl: { seconds: ttlSeconds, action: contractTtlAction(model.ttl.ttl_action, model.metadata) } }),
    ...withResources(model.spec),
    ...(services.length > 0 ? { services } : {}),
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
