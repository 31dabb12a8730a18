/**
 * A base image snapshots are made from.
 *
 * @example
 * ```ts
 * import type { VMImage } from "@vm/core";
 * const label = (i: VMImage) => `${i.name} (${i.id})`;
 * ```
 */
export interface VMImage {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  /** ISO-8601 timestamp. */
  readonly created_at: string;
}

/**
 * Base images.
 *
 * @example
 * ```ts
 * import type { VMImageService } from "@vm/core";
 * async function names(images: VMImageService) {
 *   return (await images.list()).map((i) => i.name);
 * }
 * ```
 */
export interface VMImageService {
  list(): Promise<VMImage[]>;
  /** Throws `NOT_FOUND` for an unknown id. */
  get(imageId: string): Promise<VMImage>;
}
