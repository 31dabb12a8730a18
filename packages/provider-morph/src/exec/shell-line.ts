/**
 * Morph's exec runs "a shell command inside a VM via SSH": the official SDK sends a one-element
 * `command` holding a shell line, and over SSH the elements are joined with spaces and the line
 * goes to the user's shell. So every exec is sent as ONE element: the argv, each word in single
 * quotes. Its meaning is the same whether the server joins and runs it in a shell (one element
 * joins to itself) or runs a one-element command as a shell line; NUL is refused before.
 */

/** Most bytes in the one line: the shell gets it as one argument (`-c LINE`), and Linux caps one argument at 128 KiB with its NUL. */
export const MORPH_MAX_COMMAND_LINE_BYTES = 128 * 1024 - 1;

/** One word in single quotes: the shell reads it back byte for byte (a `'` is `'\''`). */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The argv as one shell line that a POSIX shell, bash or dash, splits back into exactly this argv. */
export function toShellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
