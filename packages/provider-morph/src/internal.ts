// `@vm/provider-morph/internal`: what other workspace packages share with this one but users
// should not rely on. Today: the spec module the Morph emulator serves from.
export type { ImageModel, InstanceModel, ResourceSpec, SnapshotModel, ValidationError } from "./spec/generated/types.gen.js";
export { metadataSchema } from "./spec/metadata.js";
export {
  REQUEST_SCHEMAS,
  bootInstanceRequestSchema,
  branchInstanceRequestSchema,
  createSnapshotRequestSchema,
  execRequestSchema,
  snapshotInstanceRequestSchema,
  startInstanceRequestSchema,
  updateTtlRequestSchema,
} from "./spec/requests.js";
