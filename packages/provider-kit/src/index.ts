// The provider author's API: what a provider calls. Scripts, tags, argv builders and the exec
// kill protocol are in "./internal" (internal.ts), with no semver guarantees.
export { VM_ERROR_CODES, VMError, hasVMErrorCode, isVMError } from "./errors.js";
export type { VMErrorOptions } from "./errors.js";
export { MAX_FORK_COUNT } from "./fork-limit.js";
export { matchesInstanceFilters, matchesMetadata, matchesSnapshotFilters } from "./filters.js";
export {
  MAX_ARGUMENT_BYTES,
  MAX_COMMAND_BYTES,
  MAX_ID_LENGTH,
  MAX_NAME_BYTES,
  MAX_PATH_BYTES,
  MAX_PRINCIPAL_ID,
  assertAbsolutePath,
  assertArgv,
  assertCommandSize,
  assertEnv,
  assertFileContent,
  assertId,
  assertInteger,
  assertMetadata,
  assertMode,
  assertPrincipal,
  commandBytes,
} from "./validate.js";
export type { ErrorContext } from "./validate.js";
export {
  MAX_DIGEST_LENGTH,
  MAX_TIMEOUT_MS,
  MAX_TTL_SECONDS,
  assertAtomicWriteOptions,
  assertFileOperationOptions,
  assertSignal,
  readArgv,
  readBootOptions,
  readCreateSnapshotOptions,
  readEnv,
  readExecCall,
  readExecOptions,
  isAsyncIterable,
  readFromImageOptions,
  readInstanceFilters,
  readMetadata,
  readOptionsObject,
  readSnapshotFilters,
} from "./validate-options.js";
export { DEFAULT_VM_RESOURCES, VM_RESOURCE_LIMITS, parseResources, readResources, resolveResources } from "./resources.js";
export { DEFAULT_FILE_TIMEOUT_MS } from "./files/bounds.js";
export { createExecFileService } from "./files/exec-file-service.js";
export type { ExecFileServiceOptions } from "./files/exec-file-service.js";
export { assertFilePath } from "./files/paths.js";
export { DEFAULT_MAX_ARG_BYTES, DEFAULT_MAX_READ_BYTES, DEFAULT_MAX_REQUEST_BYTES, MAX_REQUEST_BYTES_LIMIT } from "./files/limits.js";
export type { ExecCallChecks } from "./validate-options.js";
export { CAPABILITY_NAMES, capabilitiesWithout, unsupportedCapability } from "./runtime/capabilities.js";
export { assertServiceName, readExposeCall } from "./expose.js";
export type { ExposeCall } from "./expose.js";
export type { CapabilityName } from "./runtime/capabilities.js";
export { bootedInstance } from "./runtime/booted-instance.js";
export { codeForHttpStatus } from "./runtime/http-status.js";
export { assertLogger } from "./runtime/provider-options.js";
// The one exec kill protocol: a provider tags a command (EXEC_TAG_VAR=newExecId() in its env)
// and kills it and everything it started with a second exec of buildExecKillArgv(id).
export { EXEC_KILL_SCRIPT, EXEC_TAG_VAR, buildExecKillArgv, newExecId } from "./exec/kill-protocol.js";
export { lateBoundExec } from "./runtime/late-bound-exec.js";
export type { LateBoundExec } from "./runtime/late-bound-exec.js";
export { INSTANCE_STATUSES, INSTANCE_TRANSITIONS, SNAPSHOT_STATUSES, SNAPSHOT_TRANSITIONS } from "./runtime/status.js";
export { canInstanceReach, canSnapshotReach, statusMapper } from "./runtime/status.js";
export type { StatusMapperOptions } from "./runtime/status.js";
