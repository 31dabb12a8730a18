import type { VMImage, VMImageService } from "@vm/core";
import { VMError, assertId } from "@vm/provider-kit";
import type { MorphClient } from "../api-client/base-client.js";
import { toVMImage } from "../api-client/mappers.js";
import { imageModelCollectionSchema } from "../spec/responses.js";

/**
 * `VMImageService` over `GET /image` (the spec has no single-image endpoint, so `get`
 * looks the id up in the list).
 */
export function createMorphImageService(client: MorphClient): VMImageService {
  async function list(operation: string): Promise<VMImage[]> {
    const answer = await client.request({ method: "GET", path: "image", operation, schema: imageModelCollectionSchema, idempotent: true });
    return answer.data.map(toVMImage);
  }
  return {
    list: () => list("images.list"),
    async get(imageId: string): Promise<VMImage> {
      const c = { provider: "morph", operation: "images.get" };
      assertId(imageId, c, "imageId");
      const found = (await list(c.operation)).find((image) => image.id === imageId);
      if (!found) throw new VMError("NOT_FOUND", `image ${JSON.stringify(imageId)} not found`, c);
      return found;
    },
  };
}
