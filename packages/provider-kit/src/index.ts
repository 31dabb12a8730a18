export { VM_ERROR_CODES, VMError, hasVMErrorCode, isVMError } from "./errors.js";
export type { VMErrorOptions } from "./errors.js";
export {
  assertAbsolutePath,
  assertArgv,
  assertEnv,
  assertId,
  assertInteger,
  assertMetadata,
  assertMode,
  assertPrincipal,
} from "./validate.js";
export type { ErrorContext } from "./validate.js";
