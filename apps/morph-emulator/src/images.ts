import type { EmulatorImage } from "./types.js";

/** Morph Cloud's minimal image id: Debian without Node or PM2 here (like Morph's own). */
export const MINIMAL_IMAGE_ID = "morphvm-minimal";
/** The id the emulator gives this repository's `vm-base` (Debian + Node + PM2); Morph Cloud has no such image. */
export const BASE_IMAGE_ID = "vm-base";

/**
 * The emulator's two images: `morphvm-minimal` from the minimal Docker image (no Node, no PM2,
 * as on Morph Cloud) and `vm-base` from the base image (Node and PM2 ready, for tests that
 * need PM2 without provisioning it first).
 *
 * @example
 * ```ts
 * import { emulatorImages } from "@vm/morph-emulator";
 * const images = emulatorImages({ minimal: "vm-minimal:latest", base: "vm-base:latest" });
 * images.map((i) => i.id); // ["morphvm-minimal", "vm-base"]
 * ```
 */
export function emulatorImages(references: { minimal: string; base: string }): EmulatorImage[] {
  return [
    { id: MINIMAL_IMAGE_ID, name: MINIMAL_IMAGE_ID, description: `Debian without Node or PM2 (local image ${references.minimal})`, reference: references.minimal },
    { id: BASE_IMAGE_ID, name: BASE_IMAGE_ID, description: `Debian with Node and PM2 (local image ${references.base})`, reference: references.base },
  ];
}
