/**
 * The largest `count` one `instances.fork()` call takes, on every provider: each child is a
 * whole instance (a container, a VM), so one call cannot start an unbounded number of them.
 * A larger count is `INVALID_ARGUMENT` before any work.
 */
export const MAX_FORK_COUNT = 32;
