// What a user calls. The REST client, its schemas and endpoints, and the exec wrapper are in
// "./internal" (internal.ts) for this repository's tests, with no semver guarantees.
export { MORPH_DEFAULT_MAX_EVENT_BYTES, MORPH_DEFAULT_MAX_RESPONSE_BYTES, MORPH_MAX_RESPONSE_BYTES_LIMIT } from "./api-client/body.js";
export { MORPH_DEFAULT_BASE_URL } from "./api-client/config.js";
export {
  MORPH_DEFAULT_BOOT_TIMEOUT_MS,
  MORPH_DEFAULT_EXEC_TIMEOUT_MS,
  MORPH_DEFAULT_MAX_ARG_BYTES,
  MORPH_DEFAULT_MAX_REQUEST_BYTES,
  MORPH_DEFAULT_RETRY_ATTEMPTS,
  MORPH_DEFAULT_RETRY_BASE_DELAY_MS,
  MORPH_DEFAULT_RETRY_MAX_DELAY_MS,
  MORPH_DEFAULT_SNAPSHOT_TIMEOUT_MS,
  MORPH_DEFAULT_TIMEOUT_MS,
  MORPH_MAX_REQUEST_BYTES,
} from "./defaults.js";
export { MORPH_MAX_COMMAND_LINE_BYTES } from "./exec/shell-line.js";
export { MAX_RETRY_AFTER_MS } from "./errors.js";
export type { MorphRetryOptions } from "./api-client/retry.js";
export { MORPH_CAPABILITIES, createMorphVMProvider } from "./provider.js";
export type { MorphVMProviderOptions } from "./provider.js";
export { MORPH_PROVIDER_VERSION } from "./version.js";
// The same class and guards as @vm/provider-kit's (one object: instanceof works across both),
// so a user installs only this package.
export { VMError, hasVMErrorCode, isVMError } from "@vm/provider-kit";
export type { VMErrorOptions } from "@vm/provider-kit";
export type { VMErrorCode } from "@vm/core";
