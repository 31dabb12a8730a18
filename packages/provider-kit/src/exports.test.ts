import packageJson from "../package.json" with { type: "json" };
import { describeEntryPoints } from "../../../test-setup/entry-points.js";

// Changing what a user can import is a deliberate edit of these lists (and a changeset).
describeEntryPoints(import.meta.dirname, packageJson, {
  // A provider author's API, under semver.
  ".": [
    "CAPABILITY_NAMES", "DEFAULT_FILE_TIMEOUT_MS", "DEFAULT_MAX_ARG_BYTES",
    "DEFAULT_MAX_READ_BYTES", "DEFAULT_MAX_REQUEST_BYTES", "DEFAULT_VM_RESOURCES", "EXEC_KILL_SCRIPT", "EXEC_TAG_VAR",
    "INSTANCE_STATUSES", "INSTANCE_TRANSITIONS", "MAX_ARGUMENT_BYTES", "MAX_COMMAND_BYTES",
    "MAX_DIGEST_LENGTH", "MAX_FORK_COUNT", "MAX_ID_LENGTH", "MAX_NAME_BYTES", "MAX_PATH_BYTES",
    "MAX_PRINCIPAL_ID", "MAX_REQUEST_BYTES_LIMIT", "MAX_TIMEOUT_MS", "MAX_TTL_SECONDS",
    "SNAPSHOT_STATUSES", "SNAPSHOT_TRANSITIONS", "VMError", "VM_ERROR_CODES", "VM_RESOURCE_LIMITS", "assertAbsolutePath",
    "assertArgv", "assertAtomicWriteOptions", "assertCommandSize", "assertEnv", "assertFileContent",
    "assertFileOperationOptions", "assertFilePath", "assertId", "assertInteger", "assertLogger",
    "assertMetadata", "assertMode", "assertPrincipal", "assertServiceName", "assertSignal", "bootedInstance",
    "buildExecKillArgv", "canInstanceReach", "canSnapshotReach", "capabilitiesWithout",
    "codeForHttpStatus", "commandBytes", "createExecFileService", "hasVMErrorCode", "isAsyncIterable", "isVMError",
    "lateBoundExec", "matchesInstanceFilters", "matchesMetadata", "matchesSnapshotFilters",
    "newExecId", "parseResources", "readArgv", "readBootOptions", "readCreateSnapshotOptions", "readEnv",
    "readExecCall", "readExecOptions", "readExposeCall", "readFromImageOptions", "readInstanceFilters", "readMetadata",
    "readOptionsObject", "readResources", "readSnapshotFilters", "resolveResources", "statusMapper", "unsupportedCapability",
  ],
  // What the @vm providers and this repository's tests share beyond it: no semver guarantees.
  "./internal": [
    "EXEC_KILL_SCRIPT", "EXEC_NO_CWD_MESSAGE", "EXEC_NO_USER_MESSAGE", "EXEC_RUN_DIR",
    "EXEC_START_FAILED_EXIT", "EXEC_TAG_VAR", "FILE_DISCARD_PARTIAL_SCRIPT",
    "FILE_RESOLVE_READ_SCRIPT", "FILE_RESOLVE_WRITE_SCRIPT", "FILE_SCRIPT_NAME",
    "PASSWD_LOOKUP_FUNCTION", "USER_LOOKUP_NONE_EXIT", "USER_LOOKUP_SCRIPT", "atomicWriteArgv",
    "buildExecKillArgv", "createStartFailureGate", "execIdentityEnv", "execTagEntry",
    "fileCallBound", "fileErrorFromExecResult", "fileWriteArgv", "isExecId", "newExecId",
    "parseUserLookup", "readStartFailure", "startFailureError", "startFailureMarker",
    "tempFileSuffix",
  ],
});
