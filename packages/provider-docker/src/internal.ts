// "@vm/provider-docker/internal": what this repository's tests use beyond the user's API.
// No semver guarantees: any release may change or remove them.
export { ARG_MAX_BYTES } from "./exec.js";
export { EXEC_WRAPPER } from "./scripts.js";
