export { createDockerVMProvider, DOCKER_CAPABILITIES, DOCKER_PROVIDER_VERSION, DEFAULT_BOOT_TIMEOUT_MS } from "./provider.js";
export type { DockerVMProviderOptions } from "./provider.js";
export type { DockerConnectionOptions, DockerodeInstance } from "./docker-client.js";
export { fromDockerError, dockerErrorCode, START_ENGINE_HINT } from "./errors.js";
export type { DockerErrorContext } from "./errors.js";
export { DOCKER_LABELS, buildLabels, labelFilters, matchesMetadata, readLabel, readMetadata } from "./labels.js";
export type { LabelSpec, ResourceKind } from "./labels.js";
export { mapContainerState } from "./status.js";
export { createDemuxer } from "./demux.js";
export { toInstance } from "./containers.js";
export { DEFAULT_MAX_OUTPUT_BYTES } from "./exec/run.js";
export { ARG_MAX_BYTES } from "./exec/validate.js";
export { EXEC_WRAPPER, WATCHDOG_GRACE_MS } from "./scripts.js";
export { DEFAULT_REQUEST_TIMEOUT_MS } from "./request-timeout.js";
export { DEFAULT_MAX_FILE_BYTES } from "./services/files.js";
// The kit's limit, re-exported: it was this package's own before every provider shared it.
export { MAX_FORK_COUNT } from "@vm/provider-kit";
export { SNAPSHOT_REPOSITORY } from "./services/snapshots.js";
