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
