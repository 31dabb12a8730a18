export { createMorphClient, metadataQuery, pathOf } from "./api-client/base-client.js";
export type { MorphClient, MorphClientOptions, MorphCreateRequest, MorphRequest, MorphResult, MorphStream } from "./api-client/base-client.js";
export { MORPH_DEFAULT_MAX_EVENT_BYTES, MORPH_DEFAULT_MAX_RESPONSE_BYTES, MORPH_MAX_RESPONSE_BYTES_LIMIT } from "./api-client/body.js";
export { MORPH_DEFAULT_BASE_URL } from "./api-client/config.js";
export {
  MORPH_DEFAULT_BOOT_TIMEOUT_MS,
  MORPH_DEFAULT_EXEC_TIMEOUT_MS,
  MORPH_DEFAULT_RETRY_ATTEMPTS,
  MORPH_DEFAULT_RETRY_BASE_DELAY_MS,
  MORPH_DEFAULT_RETRY_MAX_DELAY_MS,
  MORPH_DEFAULT_SNAPSHOT_TIMEOUT_MS,
  MORPH_DEFAULT_TIMEOUT_MS,
} from "./defaults.js";
export {
  BRANCH_KEY,
  REQUEST_MARKER_KEY,
  contractTtlAction,
  instanceStatusOf,
  morphTtlAction,
  snapshotStatusOf,
  toVMImage,
  toVMInstance,
  toVMSnapshot,
} from "./api-client/mappers.js";
export { RETRY_STATUSES, parseRetryAfter, resolveRetryPolicy, retryDecision } from "./api-client/retry.js";
export type { AttemptOutcome, MorphRetryOptions, RetryDecision, RetryPolicy } from "./api-client/retry.js";
export {
  SPEC_ENUMS,
  SPEC_SCHEMAS,
  branchInstanceResponseSchema,
  execResponseSchema,
  execSseEventSchema,
  httpValidationErrorSchema,
  imageModelCollectionSchema,
  imageModelSchema,
  instanceModelCollectionSchema,
  instanceModelSchema,
  snapshotModelCollectionSchema,
  snapshotModelSchema,
} from "./spec/responses.js";
export type { BranchInstanceResponse, ExecResponse, ImageModel, InstanceModel, SnapshotModel, ValidationErrorItem } from "./spec/responses.js";
export { MAX_RETRY_AFTER_MS, codeForStatus, describeDetail, fromMorphResponse } from "./errors.js";
export type { MorphErrorResponse } from "./errors.js";
export { EXEC_KILL_SCRIPT, EXEC_TIMEOUT_MARKER, EXEC_WRAPPER_SCRIPT, STDIN_CHUNK_CHARS, buildExecCommand, buildExecKillCommand, needsWrapper, takeTimeoutMarker } from "./exec/wrapper-script.js";
export { MORPH_CAPABILITIES, createMorphVMProvider } from "./provider.js";
export type { MorphVMProviderOptions } from "./provider.js";
export { createMorphImageService } from "./services/images.js";
export { createMorphInstanceService } from "./services/instances.js";
export type { MorphInstanceServiceOptions } from "./services/instances.js";
export { createMorphSnapshotService } from "./services/snapshots.js";
export type { MorphSnapshotServiceOptions } from "./services/snapshots.js";
export { MORPH_PROVIDER_VERSION } from "./version.js";
export { MORPH_ENDPOINTS } from "./api-client/endpoints.js";
