import type Dockerode from "dockerode";
import type { DockerContext } from "./context.js";
import { fromDockerError } from "./errors.js";
import { DOCKER_LABELS } from "./labels.js";

/** `dev.vm.kind` of the temporary container `snapshots.fromImage` commits a snapshot from. */
export const SNAPSHOT_SOURCE_KIND = "snapshot-source";

// A source container from a version that did not label its deadline is swept this long after
// the engine created it: far longer than a create and a commit of an unchanged container take.
const UNLABELLED_SOURCE_MAX_AGE_MS = 10 * 60_000;

/** True for a temporary `fromImage` container of this provider. */
export function isSnapshotSource(labels: Record<string, string> | undefined | null): boolean {
  return labels?.[DOCKER_LABELS.managed] === "true" && labels[DOCKER_LABELS.kind] === SNAPSHOT_SOURCE_KIND;
}

/**
 * Labels of a new source container: the provider's own, plus when the `fromImage` that
 * creates it gives up on it (`bootTimeoutMs` from now). A client killed mid-call cannot remove
 * its container; the deadline tells a later sweep that nobody will.
 */
export function snapshotSourceLabels(ctx: DockerContext, now = Date.now()): Record<string, string> {
  return {
    ...ctx.extraLabels,
    [DOCKER_LABELS.managed]: "true",
    [DOCKER_LABELS.kind]: SNAPSHOT_SOURCE_KIND,
    [DOCKER_LABELS.sourceDeadline]: new Date(now + ctx.bootTimeoutMs).toISOString(),
  };
}

/** When a source container is abandoned: its labelled deadline, or a fixed age for an unlabelled one. */
export function sourceAbandonedAt(labels: Record<string, string> | undefined, createdSeconds: number): number {
  const labelled = Date.parse(labels?.[DOCKER_LABELS.sourceDeadline] ?? "");
  return Number.isNaN(labelled) ? createdSeconds * 1000 + UNLABELLED_SOURCE_MAX_AGE_MS : labelled;
}

/**
 * Removes this provider's `fromImage` source containers whose deadline has passed: those of
 * clients killed (or engines lost) between the container's create and its removal. A source
 * container before its deadline may belong to a call under way and is kept. Best effort:
 * a sweep that fails is logged and never fails the call that runs it. Returns how many it
 * removed.
 */
export async function sweepSnapshotSources(ctx: DockerContext, operation: string): Promise<number> {
  let containers: Dockerode.ContainerInfo[];
  try {
    const label = [`${DOCKER_LABELS.managed}=true`, `${DOCKER_LABELS.kind}=${SNAPSHOT_SOURCE_KIND}`, ...Object.entries(ctx.extraLabels).map(([k, v]) => `${k}=${v}`)];
    containers = await ctx.docker.listContainers({ all: true, filters: { label } });
  } catch (err) {
    ctx.logger?.debug("docker: snapshot source sweep could not list containers", { operation, code: fromDockerError(err, { provider: ctx.provider, operation }).code });
    return 0;
  }
  const now = Date.now();
  let removed = 0;
  for (const container of containers) {
    if (!isSnapshotSource(container.Labels) || sourceAbandonedAt(container.Labels, container.Created) >= now) continue;
    try {
      await ctx.docker.getContainer(container.Id).remove({ force: true });
      removed++;
    } catch (err) {
      // Another sweep may have removed it first: fine. Anything else is retried by the next sweep.
      const code = fromDockerError(err, { provider: ctx.provider, operation }).code;
      if (code !== "NOT_FOUND") ctx.logger?.debug("docker: snapshot source sweep could not remove a container", { operation, id: container.Id, code });
    }
  }
  if (removed > 0) ctx.logger?.info("docker: removed abandoned snapshots.fromImage source containers", { operation, removed });
  return removed;
}
