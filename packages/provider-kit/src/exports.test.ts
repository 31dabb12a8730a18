import packageJson from "../package.json" with { type: "json" };
import { describeEntryPoints } from "../../../test-setup/entry-points.js";

// Changing what a user can import is a deliberate edit of these lists (and a changeset).
describeEntryPoints(import.meta.dirname, packageJson, {
  // A provider author's API, under semver.
  ".": [
    "DEFAULT_FILE_TIMEOUT_MS", "DEFAULT_MAX_ARG_BYTES", "DEFAULT_MAX_READ_BYTES",
    "DEFAULT_MAX_REQUEST_BYTES", "MAX_ARGUMENT_BYTES", "MAX_COMMAND_BYTES", "MAX_DIGEST_LENGTH",
    "MAX_ID_LENGTH", "MAX_NAME_BYTES", "MAX_PATH_BYTES", "MAX_PRINCIPAL_ID",
    "MAX_REQUEST_BYTES_LIMIT", "MAX_TIMEOUT_MS", "MAX_TTL_SECONDS", "VMError", "VM_ERROR_CODES",
    "assertAbsolutePath", "assertArgv", "assertAtomicWriteOptions", "assertCommandSize",
    "assertEnv", "assertFileContent", "assertFileOperationOptions", "assertFilePath", "assertId",
    "assertInteger", "assertMetadata", "assertMode", "assertPrincipal", "assertSignal",
    "commandBytes", "createExecFileService", "hasVMErrorCode", "isVMError",
    "matchesInstanceFilters", "matchesMetadata", "matchesSnapshotFilters", "readArgv",
    "readBootOptions", "readCreateSnapshotOptions", "readEnv", "readExecCall", "readExecOptions",
    "readInstanceFilters", "readMetadata", "readOptionsObject", "readSnapshotFilters",
  ],
  // What the @vm providers and this repository's tests share beyond it: no semver guarantees.
  "./internal": [
    "EXEC_KILL_SCRIPT", "EXEC_RUN_DIR", "EXEC_TAG_VAR", "FILE_DISCARD_PARTIAL_SCRIPT",
    "FILE_RESOLVE_READ_SCRIPT", "FILE_RESOLVE_WRITE_SCRIPT", "FILE_SCRIPT_NAME", "atomicWriteArgv",
    "buildExecKillArgv", "execTagEntry", "fileCallBound", "fileErrorFromExecResult",
    "fileWriteArgv", "isExecId", "newExecId", "tempFileSuffix",
  ],
});
