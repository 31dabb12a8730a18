/**
 * Default largest single argv argument, in bytes (including its NUL). Linux refuses any one
 * argument of 128 KiB or more (`MAX_ARG_STRLEN`); 120 KiB leaves room and is a multiple of 4,
 * so every base64 piece decodes on its own.
 */
export const DEFAULT_MAX_ARG_BYTES = 120 * 1024;

/**
 * Default largest whole argv of one exec, in bytes. Linux allows about 2 MiB of arguments
 * plus environment (`ARG_MAX`, a quarter of the 8 MiB stack limit); 1.5 MiB leaves 512 KiB
 * for the environment and the transport's own arguments.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 1536 * 1024;

/**
 * Default largest chunk one read exec returns, in raw bytes (its stdout is the chunk in
 * base64, about 4/3 of that: 4 MiB). Larger files are read in several execs.
 */
export const DEFAULT_MAX_READ_BYTES = 3 * 1024 * 1024;

/** Hard limit `maxArgBytes` is checked against (Linux `MAX_ARG_STRLEN`, with the NUL). */
export const MAX_ARG_STRLEN = 128 * 1024;

/**
 * Largest allowed `maxRequestBytes`: 1.875 MiB, so that a file exec of that size (plus an
 * 8-byte pointer per argument) stays within `MAX_COMMAND_BYTES`, the 2 MiB `ARG_MAX` less
 * 64 KiB for what the provider and the engine add. (It was 2 MiB, which the kernel refuses.)
 */
export const MAX_REQUEST_BYTES_LIMIT = 1920 * 1024;

/**
 * Splits `totalChars` of base64 into execs: each exec gets pieces (argv arguments) of at
 * most `maxArgBytes - 1` characters, and their total cost (characters + 1 NUL each) stays
 * within `capacity`. Every piece is a multiple of 4 characters long, so each exec's share
 * decodes on its own. Returns, per exec, the piece lengths. Zero characters is one exec
 * with no pieces.
 */
export function planBase64Batches(totalChars: number, capacity: number, maxArgBytes: number): number[][] {
  const maxPiece = Math.floor((maxArgBytes - 1) / 4) * 4;
  const batches: number[][] = [];
  let remaining = totalChars;
  do {
    const pieces: number[] = [];
    let room = capacity;
    while (remaining > 0) {
      const take = Math.min(remaining, maxPiece, Math.floor((room - 1) / 4) * 4);
      if (take <= 0) break;
      pieces.push(take);
      remaining -= take;
      room -= take + 1;
    }
    if (pieces.length === 0 && remaining > 0) throw new RangeError("no room for content in one exec");
    batches.push(pieces);
  } while (remaining > 0);
  return batches;
}
