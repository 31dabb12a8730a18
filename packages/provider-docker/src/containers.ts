import type { InstanceStatus, VMInstance } from "@vm/core";
import { VMError, parseResources } from "@vm/provider-kit";
import type Dockerode from "dockerode";
import type { DockerContext } from "./context.js";
import { fromDockerError } from "./errors.js";
import { DOCKER_LABELS, readLabel, readMetadata } from "./labels.js";
import { isSnapshotSource } from "./snapshot-source.js";
import { mapContainerState } from "./status.js";

/** Docker prints nanoseconds; the contract wants plain ISO-8601. */
export function isoDate(value: string | number | undefined): string {
  if (value === undefined) return new Date(0).toISOString();
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
}

/**
 * Builds a `VMInstance` from a container's labels, state and creation time.
 */
/** A container's contract status: its engine state, and its boot deadline label (an abandoned boot is `error`). */
export function instanceStatus(labels: Record<string, string> | undefined, state: string | undefined): InstanceStatus {
  return mapContainerState(state, readLabel(labels, DOCKER_LABELS.bootDeadline));
}

export function toInstance(id: string, labels: Record<string, string> | undefined, state: string | undefined, created: string | number | undefined): VMInstance {
  const seconds = readLabel(labels, DOCKER_LABELS.ttlSeconds);
  const action = readLabel(labels, DOCKER_LABELS.ttlAction);
  const snapshot = readLabel(labels, DOCKER_LABELS.snapshot);
  const status = instanceStatus(labels, state);
  const resources = parseResources(readLabel(labels, DOCKER_LABELS.resources));
  return {
    id,
    status,
    metadata: readMetadata(labels),
    created_at: isoDate(created),
    ...(snapshot ? { snapshot_id: snapshot } : {}),
    ...(seconds || action
      ? { ttl: { ...(seconds ? { seconds: Number(seconds) } : {}), ...(action === "stop" || action === "terminate" ? { action: action } : {}) } }
      : {}),
    ...(resources ? { resources } : {}),
  };
}

/** True for containers this provider created as instances. */
export function isManagedInstance(labels: Record<string, string> | undefined | null): boolean {
  return labels?.[DOCKER_LABELS.managed] === "true" && labels[DOCKER_LABELS.kind] === "instance";
}

/** Inspects a container and refuses (NOT_FOUND) anything this provider did not create. */
export async function inspectInstance(ctx: DockerContext, instanceId: string, operation: string): Promise<Dockerode.ContainerInspectInfo> {
  let info: Dockerode.ContainerInspectInfo;
  try {
    info = await ctx.docker.getContainer(instanceId).inspect();
  } catch (err) {
    throw fromDockerError(err, { provider: ctx.provider, operation, subject: `instance ${instanceId}` });
  }
  if (isSnapshotSource(info.Config.Labels)) {
    throw new VMError(
      "NOT_FOUND",
      `instance ${instanceId}: no such instance (the container is a temporary source container of snapshots.fromImage; the next fromImage or snapshots.list removes it once its deadline, label ${DOCKER_LABELS.sourceDeadline}, has passed)`,
      { provider: ctx.provider, operation },
    );
  }
  if (!isManagedInstance(info.Config.Labels)) {
    throw new VMError("NOT_FOUND", `instance ${instanceId}: no such instance (the container exists but was not created by @vm/provider-docker)`, {
      provider: ctx.provider,
      operation,
    });
  }
  return info;
}

/** What the provider remembers of an instance it checked once. */
export interface ManagedInstance {
  /** The container's own environment (`Config.Env`), which every exec inherits. */
  readonly env: readonly string[];
}

/**
 * A check that an id names a container this provider created, remembered per id so that
 * exec-heavy callers (files, PM2) pay for one inspect, not one per call. It also keeps the
 * container's environment, which counts against every exec's ARG_MAX.
 */
export function createManagedCheck(ctx: DockerContext): (instanceId: string, operation: string) => Promise<ManagedInstance> {
  const known = new Map<string, ManagedInstance>();
  return async (instanceId, operation) => {
    const cached = known.get(instanceId);
    if (cached) return cached;
    const info = await inspectInstance(ctx, instanceId, operation);
    if (known.size > 10_000) known.clear();
    const managed: ManagedInstance = { env: info.Config.Env ?? [] };
    known.set(instanceId, managed);
    known.set(info.Id, managed);
    return managed;
  };
}
