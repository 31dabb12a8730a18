// "@vm/provider-kit/internal": the pieces the @vm providers and this repository's tests share
// beyond the provider author's API (scripts, tags, argv builders, the exec kill protocol).
// No semver guarantees: any release may change or remove them. Only what is used outside
// this package is here.
export { fileCallBound } from "./files/bounds.js";
export type { FileCallBound } from "./files/bounds.js";
export { fileErrorFromExecResult } from "./files/file-error.js";
export type { FileErrorContext } from "./files/file-error.js";
export { FILE_DISCARD_PARTIAL_SCRIPT, FILE_SCRIPT_NAME } from "./files/scripts.js";
export { FILE_RESOLVE_READ_SCRIPT, FILE_RESOLVE_WRITE_SCRIPT } from "./files/resolve-scripts.js";
export { atomicWriteArgv, fileWriteArgv, tempFileSuffix } from "./files/write-argv.js";
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
