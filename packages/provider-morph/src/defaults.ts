// The Morph provider's defaults, one name each, so the TSDoc `@default` of every option and
// the code that applies it cannot drift apart.

/** Per-request timeout of API calls (`timeoutMs`): 30 s. */
export const MORPH_DEFAULT_TIMEOUT_MS = 30_000;

/** How long `boot()`/`fork()` wait for `ready` (`bootTimeoutMs`): 3 min. */
export const MORPH_DEFAULT_BOOT_TIMEOUT_MS = 180_000;

/** How long snapshot creation may take to reach `ready` (`snapshotTimeoutMs`): 10 min. */
export const MORPH_DEFAULT_SNAPSHOT_TIMEOUT_MS = 600_000;

/** HTTP timeout of an exec without its own `timeoutMs` (`execTimeoutMs`): 10 min. */
export const MORPH_DEFAULT_EXEC_TIMEOUT_MS = 600_000;

/** Total attempts of an idempotent call, the first included (`retry.attempts`). */
export const MORPH_DEFAULT_RETRY_ATTEMPTS = 4;

/** First backoff delay, doubled each attempt (`retry.baseDelayMs`): 250 ms. */
export const MORPH_DEFAULT_RETRY_BASE_DELAY_MS = 250;

/** Cap of one backoff delay and of a server's `Retry-After` (`retry.maxDelayMs`): 10 s. */
export const MORPH_DEFAULT_RETRY_MAX_DELAY_MS = 10_000;

/**
 * Largest base64 piece of file content in one exec argument (`maxArgBytes`): 96 KiB. Every
 * exec is one shell line of at most 128 KiB (see `MORPH_MAX_COMMAND_LINE_BYTES`).
 */
export const MORPH_DEFAULT_MAX_ARG_BYTES = 96 * 1024;

/**
 * Largest argv of one file exec before it becomes the line (`maxRequestBytes`): 104 KiB, which
 * leaves the line room for the exec wrapper (about 5 KiB) and the quoting of a path of
 * 4,096 quote characters.
 */
export const MORPH_DEFAULT_MAX_REQUEST_BYTES = 104 * 1024;

/** Largest `maxRequestBytes` a caller may set: 112 KiB, for the same reason. */
export const MORPH_MAX_REQUEST_BYTES = 112 * 1024;
