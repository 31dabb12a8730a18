export { VM_ERROR_CODES, VMError, hasVMErrorCode, isVMError } from "./errors.js";
export { MAX_FORK_COUNT } from "./fork-limit.js";
export type { VMErrorOptions } from "./errors.js";
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
  readInstanceFilters,
  readMetadata,
  readOptionsObject,
  readSnapshotFilters,
} from "./validate-options.js";
export type { ExecCallChecks } from "./validate-options.js";
export { DEFAULT_FILE_TIMEOUT_MS, fileCallBound } from "./files/bounds.js";
export type { FileCallBound } from "./files/bounds.js";
export { createExecFileService } from "./files/exec-file-service.js";
export type { ExecFileServiceOptions } from "./files/exec-file-service.js";
export { fileErrorFromExecResult, fileErrorTag } from "./files/file-error.js";
export { assertFilePath, directoryPath } from "./files/paths.js";
export type { FileErrorContext } from "./files/file-error.js";
export { DEFAULT_MAX_ARG_BYTES, DEFAULT_MAX_READ_BYTES, DEFAULT_MAX_REQUEST_BYTES, MAX_REQUEST_BYTES_LIMIT } from "./files/limits.js";
export {
  FILE_COPY_SCRIPT,
  FILE_DELETE_DIRECTORY_SCRIPT,
  FILE_DISCARD_PARTIAL_SCRIPT,
  FILE_DELETE_SCRIPT,
  FILE_EXISTS_SCRIPT,
  FILE_IS_DIRECTORY_SCRIPT,
  FILE_LIST_SCRIPT,
  FILE_MKDIR_SCRIPT,
  FILE_MOVE_SCRIPT,
  FILE_READ_SCRIPT,
  FILE_SCRIPT_ERROR_EXIT_CODE,
  FILE_SCRIPT_NAME,
  FILE_WRITE_SCRIPT,
} from "./files/scripts.js";
export { FILE_RESOLVE_READ_SCRIPT, FILE_RESOLVE_WRITE_SCRIPT } from "./files/resolve-scripts.js";
export { argvBytes, atomicWriteArgv, fileWriteArgv, tempFileSuffix } from "./files/write-argv.js";
export type { FileWriteStep } from "./files/write-argv.js";
export { EXEC_KILL_SCRIPT, EXEC_RUN_DIR, EXEC_TAG_VAR, buildExecKillArgv, execTagEntry, isExecId, newExecId } from "./exec/kill-protocol.js";
export {
  EXEC_NO_CWD_MESSAGE,
  EXEC_NO_USER_MESSAGE,
  EXEC_START_FAILED_EXIT,
  createStartFailureGate,
  readStartFailure,
  startFailureError,
  startFailureMarker,
} from "./exec/start-failure.js";
export type { ExecStartFailure } from "./exec/start-failure.js";
export { PASSWD_LOOKUP_FUNCTION, USER_LOOKUP_NONE_EXIT, USER_LOOKUP_SCRIPT, execIdentityEnv, parseUserLookup } from "./exec/identity.js";
export type { PasswdEntry } from "./exec/identity.js";
export { CAPABILITY_NAMES, capabilitiesWithout } from "./runtime/capabilities.js";
export type { CapabilityName } from "./runtime/capabilities.js";
export { bootedInstance } from "./runtime/booted-instance.js";
export { codeForHttpStatus } from "./runtime/http-status.js";
export { lateBoundExec } from "./runtime/late-bound-exec.js";
export type { LateBoundExec } from "./runtime/late-bound-exec.js";
export { INSTANCE_STATUSES, INSTANCE_TRANSITIONS, SNAPSHOT_STATUSES, SNAPSHOT_TRANSITIONS } from "./runtime/status.js";
export { canInstanceReach, canSnapshotReach, statusMapper } from "./runtime/status.js";
export type { StatusMapperOptions } from "./runtime/status.js";
