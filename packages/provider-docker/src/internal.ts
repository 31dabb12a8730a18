// "@vm/provider-docker/internal": what this repository's tests use beyond the user's API.
// No semver guarantees: any release may change or remove them.
export { ARG_MAX_BYTES } from "./exec/validate.js";
export { EXEC_WRAPPER, WATCHDOG_GRACE_MS, execWrapperArgv } from "./scripts.js";
export { openTunnel } from "./expose/tunnel.js";
export type { TunnelOptions } from "./expose/tunnel.js";
