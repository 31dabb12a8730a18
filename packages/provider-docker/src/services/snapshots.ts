import { randomUUID } from "node:crypto";
import type { CreateSnapshotOptions, ExecFunction, FromImageOptions, SnapshotFilters, VMSnapshot, VMSnapshotService } from "@vm/core";
import { VMError, assertId, matchesSnapshotFilters, readCreateSnapshotOptions, readFromImageOptions, readSnapshotFilters, resolveResources } from "@vm/provider-kit";
import type Dockerode from "dockerode";
import type { DockerContext } from "../context.js";
import { inspectInstance, isoDate } from "../containers.js";
import { fromDockerError } from "../errors.js";
import { DOCKER_LABELS, buildLabels, imageLabelFilter, labelFilters, matchesLabelFilters, podmanLabelChanges, readLabel, readMetadata } from "../labels.js";
import { resourcesOf } from "../resources.js";
import { snapshotSourceLabels, sweepSnapshotSources } from "../snapshot-source.js";
import type { ForkSupport } from "./instances.js";

/**
 * Repository name snapshot images are tagged with (`vm-snapshot:<uuid>`), so they are never
 * dangling images that an `image prune` would remove.
 */
export const SNAPSHOT_REPOSITORY = "vm-snapshot";

function toSnapshot(id: string, labels: Record<string, string> | undefined, created: string | number | undefined): VMSnapshot {
  const digest = readLabel(labels, DOCKER_LABELS.digest);
  const image = readLabel(labels, DOCKER_LABELS.image);
  return {
    id,
    status: "ready",
    created_at: isoDate(created),
    metadata: readMetadata(labels),
    ...(digest ? { digest } : {}),
    ...(image ? { image_id: image } : {}),
    // A snapshot made before resources were recorded boots with the defaults: those are in force.
    resources: resourcesOf(labels),
  };
}

function isKind(labels: Record<string, string> | undefined | null, kind: string): boolean {
  return labels?.[DOCKER_LABELS.managed] === "true" && labels[DOCKER_LABELS.kind] === kind;
}

function validateCreate(ctx: DockerContext, operation: string, id: unknown, what: string, options: unknown): CreateSnapshotOptions {
  const ectx = { provider: ctx.provider, operation };
  assertId(id, ectx, what);
  return readCreateSnapshotOptions(options, ectx);
}

function validateFromImage(ctx: DockerContext, id: unknown, options: unknown): FromImageOptions {
  const ectx = { provider: ctx.provider, operation: "snapshots.fromImage" };
  assertId(id, ectx, "imageId");
  return readFromImageOptions(options, ectx);
}

/**
 * Snapshots are images committed from containers, labelled `dev.vm.kind=snapshot`. Fork
 * snapshots (`dev.vm.kind=fork-snapshot`) are internal: `fork()` boots from one and it is
 * removed when the last fork using it is terminated.
 */
export function createSnapshotService(
  ctx: DockerContext,
  exec: ExecFunction,
  pm2Save: (exec: ExecFunction, instanceId: string) => Promise<void>,
): VMSnapshotService & ForkSupport {
  // Same-digest creations in this process wait for each other, so they return one snapshot.
  const digestLocks = new Map<string, Promise<unknown>>();

  async function findByDigest(digest: string, operation: string): Promise<VMSnapshot | undefined> {
    let images: Dockerode.ImageInfo[];
    try {
      images = await ctx.docker.listImages({ filters: { label: imageLabelFilter("snapshot") } });
    } catch (err) {
      throw fromDockerError(err, { provider: ctx.provider, operation });
    }
    const match = images
      .filter((i) => isKind(i.Labels, "snapshot") && i.Labels[DOCKER_LABELS.digest] === digest)
      .sort((a, b) => a.Created - b.Created)[0];
    return match ? toSnapshot(match.Id, match.Labels, match.Created) : undefined;
  }

  async function withDigest<T>(digest: string | undefined, work: () => Promise<T>): Promise<T> {
    if (digest === undefined) return work();
    const previous = digestLocks.get(digest) ?? Promise.resolve();
    const next = previous.then(work, work);
    digestLocks.set(digest, next);
    try {
      return await next;
    } finally {
      if (digestLocks.get(digest) === next) digestLocks.delete(digest);
    }
  }

  async function commit(
    container: Dockerode.Container,
    inheritedLabels: Record<string, string>,
    spec: Parameters<typeof buildLabels>[0],
    operation: string,
    tag: string = randomUUID(),
  ): Promise<string> {
    const labels = buildLabels({ ...spec, extra: ctx.extraLabels }, inheritedLabels);
    try {
      // Query and body are separate: the body is the new image's config (merged by the
      // engine with the container's), and its Labels override every inherited dev.vm.* key.
      // Podman ignores that body: there the labels go as `changes` (see podmanLabelChanges).
      const podman = (await ctx.engineKind()) === "podman";
      const result = (await container.commit({
        _query: { container: container.id, repo: SNAPSHOT_REPOSITORY, tag, pause: true, ...(podman ? { changes: podmanLabelChanges(labels) } : {}) },
        _body: { Labels: labels },
      })) as { Id?: string };
      if (!result.Id) throw new VMError("INTERNAL", "the engine returned no image id for the commit", { provider: ctx.provider, operation });
      return result.Id;
    } catch (err) {
      throw fromDockerError(err, { provider: ctx.provider, operation });
    }
  }

  /**
   * Commits a snapshot and reads it back. When either fails, the image the commit may have
   * made (an answer lost after the engine committed, a read-back that failed) is removed by
   * its unique tag: the caller got an error, not an id, and must not be left with a snapshot
   * it does not know of. Best effort: an engine that is gone keeps it, and `snapshots.list`
   * shows it.
   */
  async function commitSnapshot(container: Dockerode.Container, inheritedLabels: Record<string, string>, spec: Parameters<typeof buildLabels>[0], operation: string): Promise<VMSnapshot> {
    const tag = randomUUID();
    try {
      return await service.get(await commit(container, inheritedLabels, spec, operation, tag));
    } catch (err) {
      await ctx.docker
        .getImage(`${SNAPSHOT_REPOSITORY}:${tag}`)
        .remove()
        .catch((removeErr: unknown) => {
          const code = fromDockerError(removeErr, { provider: ctx.provider, operation }).code;
          if (code !== "NOT_FOUND") ctx.logger?.warn("docker: could not remove the snapshot of a failed commit", { operation, tag: `${SNAPSHOT_REPOSITORY}:${tag}`, code });
        });
      throw err;
    }
  }

  async function inspectSnapshot(snapshotId: string, operation: string): Promise<Dockerode.ImageInspectInfo> {
    let info: Dockerode.ImageInspectInfo;
    try {
      info = await ctx.docker.getImage(snapshotId).inspect();
    } catch (err) {
      throw fromDockerError(err, { provider: ctx.provider, operation, subject: `snapshot ${snapshotId}` });
    }
    if (!isKind(info.Config.Labels, "snapshot")) {
      throw new VMError("NOT_FOUND", `snapshot ${snapshotId}: no such snapshot (the image exists but is not a snapshot; use fromImage)`, { provider: ctx.provider, operation });
    }
    return info;
  }

  async function usersOf(imageId: string, operation: string): Promise<Dockerode.ContainerInfo[]> {
    try {
      return await ctx.docker.listContainers({ all: true, filters: { ancestor: [imageId] } });
    } catch (err) {
      throw fromDockerError(err, { provider: ctx.provider, operation });
    }
  }

  const service: VMSnapshotService & ForkSupport = {
    async get(snapshotId) {
      assertId(snapshotId, { provider: ctx.provider, operation: "snapshots.get" }, "snapshotId");
      const info = await inspectSnapshot(snapshotId, "snapshots.get");
      return toSnapshot(info.Id, info.Config.Labels ?? undefined, info.Created);
    },

    async list(given?: SnapshotFilters) {
      const ectx = { provider: ctx.provider, operation: "snapshots.list" };
      const filters = readSnapshotFilters(given, ectx);
      await sweepSnapshotSources(ctx, ectx.operation);
      const extra = filters.digest !== undefined ? { ...ctx.extraLabels, [DOCKER_LABELS.digest]: filters.digest } : ctx.extraLabels;
      let images: Dockerode.ImageInfo[];
      try {
        images = await ctx.docker.listImages({ filters: { label: imageLabelFilter("snapshot") } });
      } catch (err) {
        throw fromDockerError(err, ectx);
      }
      // Metadata is checked from dev.vm.metadata below (per-key labels may be missing on Podman).
      const wanted = labelFilters("snapshot", {}, extra);
      return images
        .filter((i) => isKind(i.Labels, "snapshot") && matchesLabelFilters(i.Labels, wanted))
        .map((i) => toSnapshot(i.Id, i.Labels, i.Created))
        .filter((s) => matchesSnapshotFilters(s, filters));
    },

    async create(instanceId, given) {
      const operation = "snapshots.create";
      const options = validateCreate(ctx, operation, instanceId, "instanceId", given);
      return withDigest(options.digest, async () => {
        if (options.digest !== undefined) {
          const existing = await findByDigest(options.digest, operation);
          if (existing) return existing;
        }
        const info = await inspectInstance(ctx, instanceId, operation);
        // A snapshot is of a running instance, as on Morph (memory and disk): a stopped
        // container's commit would hold its disk alone, and it would boot without its processes.
        if (info.State.Status !== "running") {
          throw new VMError("CONFLICT", `instance ${instanceId} is ${info.State.Status}; only a running instance can be snapshotted`, { provider: ctx.provider, operation });
        }
        await pm2Save(exec, info.Id);
        return commitSnapshot(
          ctx.docker.getContainer(info.Id),
          info.Config.Labels ?? {},
          {
            kind: "snapshot",
            ...(options.metadata ? { metadata: options.metadata } : {}),
            ...(options.digest !== undefined ? { digest: options.digest } : {}),
            image: info.Image,
            // A snapshot of an instance keeps its size, as on Morph.
            resources: resourcesOf(info.Config.Labels),
          },
          operation,
        );
      });
    },

    async delete(snapshotId) {
      const operation = "snapshots.delete";
      assertId(snapshotId, { provider: ctx.provider, operation }, "snapshotId");
      const info = await inspectSnapshot(snapshotId, operation);
      const users = await usersOf(info.Id, operation);
      if (users.length > 0) {
        throw new VMError("CONFLICT", `snapshot ${snapshotId} is used by ${users.length} instance(s); terminate them first`, { provider: ctx.provider, operation });
      }
      try {
        // Untag every name first, so removing by id cannot fail with "referenced in multiple repositories".
        for (const tag of info.RepoTags ?? []) await ctx.docker.getImage(tag).remove({ noprune: false });
        if ((info.RepoTags ?? []).length === 0) await ctx.docker.getImage(info.Id).remove();
      } catch (err) {
        const vmErr = fromDockerError(err, { provider: ctx.provider, operation, subject: `snapshot ${snapshotId}` });
        if (vmErr.code === "NOT_FOUND") return;
        throw vmErr;
      }
    },

    async fromImage(imageId, given) {
      const operation = "snapshots.fromImage";
      const options = validateFromImage(ctx, imageId, given);
      return withDigest(options.digest, async () => {
        if (options.digest !== undefined) {
          const existing = await findByDigest(options.digest, operation);
          if (existing) return existing;
        }
        // Source containers of earlier calls whose client was killed mid-call: their deadline
        // has passed, nobody else will remove them.
        await sweepSnapshotSources(ctx, operation);
        let image: Dockerode.ImageInspectInfo;
        try {
          image = await ctx.docker.getImage(imageId).inspect();
        } catch (err) {
          throw fromDockerError(err, { provider: ctx.provider, operation, subject: `image ${imageId}` });
        }
        // A created, never started container carries the image's filesystem unchanged. Its
        // labels carry a deadline: if this process dies before removing it, the next
        // fromImage or snapshots.list of this provider's labels removes it once that passed.
        let container: Dockerode.Container;
        try {
          container = await ctx.docker.createContainer({
            Image: image.Id,
            // The engine refuses a container without a command; keep the image's own if it has one.
            ...(image.Config.Entrypoint?.length || image.Config.Cmd?.length ? {} : { Cmd: ["sh"] }),
            Labels: snapshotSourceLabels(ctx),
            HostConfig: { NetworkMode: "none" },
          });
        } catch (err) {
          throw fromDockerError(err, { provider: ctx.provider, operation, subject: `image ${imageId}` });
        }
        try {
          return await commitSnapshot(
            container,
            { ...(image.Config.Labels ?? {}), [DOCKER_LABELS.kind]: "" },
            {
              kind: "snapshot",
              ...(options.metadata ? { metadata: options.metadata } : {}),
              ...(options.digest !== undefined ? { digest: options.digest } : {}),
              image: image.Id,
              resources: resolveResources(options.resources),
            },
            operation,
          );
        } finally {
          await container.remove({ force: true }).catch(() => undefined);
        }
      });
    },

    async createForkSnapshot(instanceId) {
      const operation = "instances.fork";
      const info = await inspectInstance(ctx, instanceId, operation);
      await pm2Save(exec, info.Id);
      await releaseOrphans();
      // Forks get their parent's size: the fork snapshot carries it to their boot.
      return commit(ctx.docker.getContainer(info.Id), info.Config.Labels ?? {}, { kind: "fork-snapshot", image: info.Image, forkOf: info.Id, resources: resourcesOf(info.Config.Labels) }, operation);
    },

    async releaseForkSnapshot(imageId) {
      try {
        if ((await usersOf(imageId, "instances.terminate")).length > 0) return;
        const info = await ctx.docker.getImage(imageId).inspect();
        if (!isKind(info.Config.Labels, "fork-snapshot")) return;
        for (const tag of info.RepoTags ?? []) await ctx.docker.getImage(tag).remove();
        if ((info.RepoTags ?? []).length === 0) await ctx.docker.getImage(info.Id).remove();
      } catch (err) {
        // Another terminate may have removed it, or a new fork may use it: both are fine.
        ctx.logger?.debug("docker: fork snapshot kept", { imageId, error: String(err) });
      }
    },
  };
  return service;

  /** Fork snapshots whose forks were removed without `terminate` (TTL terminate, docker rm). */
  async function releaseOrphans(): Promise<void> {
    try {
      const wanted = labelFilters("fork-snapshot", {}, ctx.extraLabels);
      const images = (await ctx.docker.listImages({ filters: { label: imageLabelFilter("fork-snapshot") } })).filter((i) => matchesLabelFilters(i.Labels, wanted));
      for (const image of images) {
        if ((await usersOf(image.Id, "instances.fork")).length > 0) continue;
        // Only images at least a minute old: a concurrent fork may be about to boot from a new one.
        if (Date.now() / 1000 - image.Created < 60) continue;
        for (const tag of image.RepoTags ?? []) await ctx.docker.getImage(tag).remove().catch(() => undefined);
      }
    } catch (err) {
      ctx.logger?.debug("docker: orphan fork snapshot sweep failed", { error: String(err) });
    }
  }
}
