// What a user calls. Test hooks (ARG_MAX_BYTES, the exec wrapper script) are in "./internal"
// (internal.ts), with no semver guarantees.
export { createDockerVMProvider, DOCKER_CAPABILITIES, DOCKER_PROVIDER_VERSION, DEFAULT_BOOT_TIMEOUT_MS } from "./provider.js";
export type { DockerVMProviderOptions } from "./provider.js";
export type { DockerConnectionOptions, DockerodeInstance } from "./docker-client.js";
export { DOCKER_LABELS } from "./labels.js";
export { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from "./defaults.js";
// The kit's limit, re-exported: it was this package's own before every provider shared it.
export { MAX_FORK_COUNT } from "@vm/provider-kit";
// The same class and guards as @vm/provider-kit's (one object: instanceof works across both),
// so a user installs only this package.
export { VMError, hasVMErrorCode, isVMError } from "@vm/provider-kit";
export type { VMErrorOptions } from "@vm/provider-kit";
export type { VMErrorCode } from "@vm/core";
