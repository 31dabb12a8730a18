import type { VMImage, VMImageService } from "@vm/core";
import { assertId } from "@vm/provider-kit";
import type Dockerode from "dockerode";
import type { DockerContext } from "../context.js";
import { isoDate } from "../containers.js";
import { fromDockerError } from "../errors.js";
import { DOCKER_LABELS } from "../labels.js";

function toImage(id: string, tags: readonly string[] | null | undefined, created: string | number | undefined, labels: Record<string, string> | null | undefined): VMImage {
  const name = (tags ?? []).find((t) => t !== "<none>:<none>") ?? id;
  const description = labels?.["org.opencontainers.image.description"] ?? labels?.["org.opencontainers.image.title"];
  return { id, name, created_at: isoDate(created), ...(description ? { description } : {}) };
}

/**
 * Local images. `list()` returns tagged images that are not this provider's own snapshots;
 * `get()` takes an id (`sha256:…`, or a short id) or any reference such as `name:tag`.
 */
export function createImageService(ctx: DockerContext): VMImageService {
  return {
    async list() {
      let images: Dockerode.ImageInfo[];
      try {
        images = await ctx.docker.listImages();
      } catch (err) {
        throw fromDockerError(err, { provider: ctx.provider, operation: "images.list" });
      }
      return images
        .filter((i) => (i.RepoTags ?? []).some((t) => t !== "<none>:<none>") && i.Labels?.[DOCKER_LABELS.managed] !== "true")
        .map((i) => toImage(i.Id, i.RepoTags, i.Created, i.Labels));
    },
    async get(imageId) {
      assertId(imageId, { provider: ctx.provider, operation: "images.get" }, "imageId");
      try {
        const info = await ctx.docker.getImage(imageId).inspect();
        return toImage(info.Id, info.RepoTags, info.Created, info.Config.Labels);
      } catch (err) {
        throw fromDockerError(err, { provider: ctx.provider, operation: "images.get", subject: `image ${imageId}` });
      }
    },
  };
}
