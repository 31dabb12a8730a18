// The provider's defaults, in a module whose declarations import nothing: the public entry
// point re-exports them, and a consumer has no @types/dockerode (the modules that use them
// name dockerode's types).

/**
 * Default `requestTimeoutMs`: 60 s. How long the provider waits for the engine to answer one
 * request before the call fails with UNAVAILABLE (a frozen engine, a socket that accepts and
 * never answers). It does not bound a running command, a stream after it started, or a
 * call that legitimately takes long (commit, stop, remove, an upload): see the README.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/**
 * Default cap on what `exec()` collects (stdout + stderr together): 64 MiB. Past it the
 * command is killed and `exec()` fails with INVALID_ARGUMENT; `execStream()` has no cap.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Default `maxFileBytes`: the largest file `readFile`/`readFileBytes` read into memory, 1 GiB.
 */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;
