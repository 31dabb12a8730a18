// "@vm/provider-morph/internal": what this repository's tests, tools and the Morph emulator use
// beyond the user's API (the emulator serves from the spec module). No semver guarantees: any
// release may change or remove them.
export type { ImageModel, InstanceModel, ResourceSpec, SnapshotModel, ValidationError } from "./spec/generated/types.gen.js";
export { metadataSchema } from "./spec/metadata.js";
export {
  REQUEST_SCHEMAS,
  bootInstanceFromImageRequestSchema,
  bootInstanceRequestSchema,
  branchInstanceRequestSchema,
  createSnapshotRequestSchema,
  execRequestSchema,
  snapshotInstanceRequestSchema,
  startInstanceRequestSchema,
  updateTtlRequestSchema,
} from "./spec/requests.js";
export { createMorphClient } from "./api-client/base-client.js";
export type { MorphClient, MorphClientOptions } from "./api-client/base-client.js";
export { MORPH_ENDPOINTS } from "./api-client/endpoints.js";
export { BRANCH_KEY } from "./api-client/mappers.js";
export { branchInstanceResponseSchema, execResponseSchema, httpValidationErrorSchema, instanceModelSchema, snapshotModelSchema } from "./spec/responses.js";
// Spec components of endpoints only the emulator serves (the provider never calls them).
export {
  zExposeHttpServiceRequest as exposeHttpServiceRequestSchema,
  zInstanceSshKey as instanceSshKeySchema,
  zUpdateWakeRequest as updateWakeRequestSchema,
} from "./spec/generated/zod.gen.js";
export { buildExecCommand } from "./exec/wrapper-script.js";
export { toShellLine } from "./exec/shell-line.js";
