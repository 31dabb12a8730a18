import type { VMResourcesInForce } from "@vm/core";

/**
 * The label keys this provider puts on every container and image it creates. A cleanup or
 * a leak check can find exactly what the provider made with
 * `docker ps -a --filter label=dev.vm.managed=true` (and the same for images).
 *
 * - `managed`: always `"true"`.
 * - `kind`: `"instance"`, `"snapshot"` or `"fork-snapshot"` (the internal image `fork()` boots from).
 * - `metadata`: the caller's metadata as JSON: the source of truth.
 * - `metaPrefix`: one `dev.vm.meta.<key>=<value>` per metadata entry, for label filters.
 * - `digest`: a snapshot's idempotency key.
 * - `ttlSeconds`, `ttlAction`, `ttlDeadline`: an instance's TTL and when it fires (ISO-8601).
 * - `bootDeadline`: when the boot that created an instance gives up (ISO-8601); a container
 *   still `created` after it was abandoned mid-boot and reads as `error`.
 * - `sourceDeadline`: on the temporary container of `snapshots.fromImage` (`kind`
 *   `"snapshot-source"`), when that call gives up on it (ISO-8601); past it, the next
 *   `fromImage` or `snapshots.list` removes the container (its client was killed mid-call).
 * - `snapshot`: the snapshot (image id) an instance was booted from.
 * - `image`: the image a snapshot was made from.
 * - `forkOf`: on a fork snapshot and its forks, the instance that was forked.
 * - `resources`: the resources in force as JSON (`{"vcpus":2,"memoryMb":2048,"diskMb":8192}`):
 *   on a snapshot what its instances get, on an instance what it got (the container's limits).
 */
export const DOCKER_LABELS = {
  managed: "dev.vm.managed",
  kind: "dev.vm.kind",
  metadata: "dev.vm.metadata",
  metaPrefix: "dev.vm.meta.",
  digest: "dev.vm.digest",
  ttlSeconds: "dev.vm.ttl.seconds",
  ttlAction: "dev.vm.ttl.action",
  ttlDeadline: "dev.vm.ttl.deadline",
  bootDeadline: "dev.vm.boot.deadline",
  sourceDeadline: "dev.vm.snapshot-source.deadline",
  snapshot: "dev.vm.snapshot",
  image: "dev.vm.image",
  forkOf: "dev.vm.fork-of",
  resources: "dev.vm.resources",
} as const;

/**
 * What a labelled resource is.
 */
export type ResourceKind = "instance" | "snapshot" | "fork-snapshot";

/**
 * Input for `buildLabels`.
 */
export interface LabelSpec {
  kind: ResourceKind;
  metadata?: Record<string, string>;
  digest?: string;
  ttl?: { seconds: number; action: "stop" | "terminate"; deadline: string };
  /** An instance's boot deadline (ISO-8601). */
  bootDeadline?: string;
  snapshot?: string;
  image?: string;
  forkOf?: string;
  resources?: VMResourcesInForce;
  /** Extra labels from `createDockerVMProvider({ labels })`. */
  extra?: Record<string, string>;
}

/**
 * Builds the full label set for a new container or image. Docker merges labels from the
 * source image (or committed container) into the new resource and cannot delete one, so
 * every `dev.vm.*` key inherited from `inherited` that this resource does not set is
 * overridden with `""`: nothing of the source's identity (its metadata, TTL, digest) carries
 * over with a value. Readers use `dev.vm.metadata` (always rewritten) as the truth.
 */
export function buildLabels(spec: LabelSpec, inherited: Record<string, string> = {}): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of Object.keys(inherited)) {
    if (key.startsWith("dev.vm.")) labels[key] = "";
  }
  Object.assign(labels, spec.extra ?? {});
  labels[DOCKER_LABELS.managed] = "true";
  labels[DOCKER_LABELS.kind] = spec.kind;
  const metadata = spec.metadata ?? {};
  labels[DOCKER_LABELS.metadata] = JSON.stringify(metadata);
  for (const [key, value] of Object.entries(metadata)) labels[`${DOCKER_LABELS.metaPrefix}${key}`] = value;
  if (spec.digest !== undefined) labels[DOCKER_LABELS.digest] = spec.digest;
  if (spec.ttl) {
    labels[DOCKER_LABELS.ttlSeconds] = String(spec.ttl.seconds);
    labels[DOCKER_LABELS.ttlAction] = spec.ttl.action;
    labels[DOCKER_LABELS.ttlDeadline] = spec.ttl.deadline;
  }
  if (spec.bootDeadline !== undefined) labels[DOCKER_LABELS.bootDeadline] = spec.bootDeadline;
  if (spec.snapshot !== undefined) labels[DOCKER_LABELS.snapshot] = spec.snapshot;
  if (spec.image !== undefined) labels[DOCKER_LABELS.image] = spec.image;
  if (spec.forkOf !== undefined) labels[DOCKER_LABELS.forkOf] = spec.forkOf;
  if (spec.resources !== undefined) labels[DOCKER_LABELS.resources] = JSON.stringify(spec.resources);
  return labels;
}

/**
 * Reads the caller's metadata back from labels (`dev.vm.metadata`, JSON). Unparseable or
 * missing → `{}`.
 */
export function readMetadata(labels: Record<string, string> | null | undefined): Record<string, string> {
  const raw = labels?.[DOCKER_LABELS.metadata];
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    // fromEntries, not assignment: a key "__proto__" stays a key (assigning it sets the prototype).
    return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}

/**
 * A label value, treating the `""` used to blank inherited keys as absent.
 */
export function readLabel(labels: Record<string, string> | null | undefined, key: string): string | undefined {
  const value = labels?.[key];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Docker `label` filters for a kind and metadata. Keys holding `=` cannot be expressed as a
 * label filter; callers re-check metadata on the client (`matchesMetadata`) anyway.
 */
export function labelFilters(kind: ResourceKind, metadata: Record<string, string> = {}, extra: Record<string, string> = {}): string[] {
  const filters = [`${DOCKER_LABELS.managed}=true`, `${DOCKER_LABELS.kind}=${kind}`];
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.includes("=")) filters.push(`${DOCKER_LABELS.metaPrefix}${key}=${value}`);
  }
  for (const [key, value] of Object.entries(extra)) filters.push(`${key}=${value}`);
  return filters;
}

// The one matcher both providers use lives in @vm/provider-kit; re-exported here for existing importers.
export { matchesMetadata } from "@vm/provider-kit";
