import type { ExecOptions, ExecStreamChunk } from "@vm/core";
import { VMError } from "../errors.js";
import type { ErrorContext } from "../validate.js";

/**
 * Exit code of an exec wrapper that could not start the command: its working directory cannot
 * be entered by the user it runs as, or its user does not exist. The wrapper then prints one of
 * `startFailureMarker` on stderr and nothing else; a provider turns that into `NOT_FOUND`.
 */
export const EXEC_START_FAILED_EXIT = 125;

/** The text of the line a wrapper prints when `cwd` cannot be entered as the exec's user (see `startFailureMarker`). */
export const EXEC_NO_CWD_MESSAGE = "vm-exec: cannot enter the working directory";

/** The text of the line a wrapper prints when `user` has no passwd entry and is not a number (see `startFailureMarker`). */
export const EXEC_NO_USER_MESSAGE = "vm-exec: no such user";

/**
 * The whole of what a wrapper prints on stderr when it did not start the command: the message,
 * then ` [<exec id>]` when the exec has one, then a newline. The exec id (`VM_EXEC_ID`, random
 * per exec) keeps a command's own output from reading as this answer: a wrapped command that
 * prints a marker for its own exec (a nested provider, e.g. an emulator) does not know the outer
 * exec's id. In shell: `printf '%s%s\n' "$message" "${id:+ [$id]}"`.
 *
 * @example
 * ```ts
 * import { startFailureMarker } from "@vm/provider-kit";
 * startFailureMarker("cwd", "0b7c"); // "vm-exec: cannot enter the working directory [0b7c]\n"
 * ```
 */
export function startFailureMarker(kind: ExecStartFailure, execId = ""): string {
  return `${kind === "cwd" ? EXEC_NO_CWD_MESSAGE : EXEC_NO_USER_MESSAGE}${execId === "" ? "" : ` [${execId}]`}\n`;
}

/** Why a wrapper did not start the command: `cwd` could not be entered, or `user` does not exist. */
export type ExecStartFailure = "cwd" | "user";

/**
 * Whether a wrapped command's result is the wrapper's own "could not start" answer: exit 125,
 * no stdout and exactly one marker (`startFailureMarker` with this exec's id) on stderr. A
 * command that exits 125 itself is a result.
 *
 * @example
 * ```ts
 * import { readStartFailure, startFailureMarker } from "@vm/provider-kit";
 * readStartFailure({ stdout: "", stderr: startFailureMarker("cwd", "0b7c"), exit_code: 125 }, "0b7c"); // "cwd"
 * ```
 */
export function readStartFailure(result: { stdout: string; stderr: string; exit_code: number }, execId = ""): ExecStartFailure | undefined {
  if (result.exit_code !== EXEC_START_FAILED_EXIT || result.stdout !== "") return undefined;
  if (result.stderr === startFailureMarker("cwd", execId)) return "cwd";
  if (result.stderr === startFailureMarker("user", execId)) return "user";
  return undefined;
}

/**
 * The error for a command that did not start: `NOT_FOUND`, on every provider. A `cwd` the
 * exec's user cannot enter (missing, or behind a directory it may not search) reads the same as
 * a missing one: the answer must not tell that user what exists where it cannot look.
 *
 * @example
 * ```ts
 * import { startFailureError } from "@vm/provider-kit";
 * throw startFailureError("user", { user: "bob" }, { provider: "docker", operation: "instances.exec" });
 * ```
 */
export function startFailureError(kind: ExecStartFailure, options: Pick<ExecOptions, "cwd" | "user"> | undefined, ctx: ErrorContext): VMError {
  const as = options?.user === undefined ? "" : ` as user ${JSON.stringify(options.user)}`;
  const message =
    kind === "cwd"
      ? `cwd ${JSON.stringify(options?.cwd ?? "")} does not exist in the instance or cannot be entered${as}`
      : `user ${JSON.stringify(options?.user ?? "")} does not exist in the instance (no passwd entry, not a numeric id)`;
  return new VMError("NOT_FOUND", message, ctx);
}

/**
 * Holds back the first output of a streamed command while it could still be a wrapper's
 * "could not start" answer (no stdout yet, stderr a prefix of a marker), so `execStream` can
 * throw `NOT_FOUND` instead of yielding the marker. Anything else is released at once.
 *
 * @example
 * ```ts
 * import { createStartFailureGate } from "@vm/provider-kit";
 * const gate = createStartFailureGate("0b7c");
 * gate.push({ type: "stdout", data: "hi" }); // [{ type: "stdout", data: "hi" }]
 * gate.exit(0); // { chunks: [] }
 * ```
 */
export function createStartFailureGate(execId = ""): {
  push(chunk: { type: "stdout" | "stderr"; data: string }): ExecStreamChunk[];
  exit(code: number): { failure: ExecStartFailure } | { chunks: ExecStreamChunk[] };
} {
  const markers = [startFailureMarker("cwd", execId), startFailureMarker("user", execId)];
  let open = false;
  let held = "";
  const release = (): ExecStreamChunk[] => {
    open = true;
    const out: ExecStreamChunk[] = held === "" ? [] : [{ type: "stderr", data: held }];
    held = "";
    return out;
  };
  return {
    push(chunk) {
      if (open) return [chunk];
      if (chunk.type === "stderr") {
        const next = held + chunk.data;
        if (markers.some((marker) => marker.startsWith(next))) {
          held = next;
          return [];
        }
        held = next;
        return release();
      }
      return [...release(), chunk];
    },
    exit(code) {
      if (!open) {
        const failure = readStartFailure({ stdout: "", stderr: held, exit_code: code }, execId);
        if (failure) return { failure };
      }
      return { chunks: release() };
    },
  };
}
