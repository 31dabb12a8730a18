import { VMError } from "../errors.js";
import { type ErrorContext, assertAbsolutePath } from "../validate.js";

// The path rules of `VMFileService` (see its TSDoc in @vm/core), applied before any work so
// that every provider refuses and normalises alike. Everything else about a path (symbolic
// links, `..`) is left to the kernel inside the instance.

/**
 * Validates a path given to a file operation (`readFile`, `writeFile`, `copyFile`, ...): absolute,
 * and naming a file: a trailing slash, or `.` / `..` as the last name, is `INVALID_ARGUMENT`
 * (a trailing slash would make the kernel follow a symlink in the last component).
 *
 * @example
 * ```ts
 * import { assertFilePath } from "@vm/provider-kit";
 * assertFilePath("/app/config.json", { provider: "docker", operation: "files.writeFile" });
 * ```
 */
export function assertFilePath(path: unknown, ctx: ErrorContext, what = "path"): asserts path is string {
  assertAbsolutePath(path, ctx, what);
  if (path.endsWith("/")) {
    throw new VMError("INVALID_ARGUMENT", `${what} ${JSON.stringify(path.slice(0, 200))} ends with "/": a file operation needs a file path`, ctx);
  }
  const last = path.slice(path.lastIndexOf("/") + 1);
  if (last === "." || last === "..") {
    throw new VMError("INVALID_ARGUMENT", `${what} ${JSON.stringify(path.slice(0, 200))} ends with "${last}": a file operation needs a file path`, ctx);
  }
}

/**
 * Validates a path given to a directory operation (`createDirectory`, `listDirectory`,
 * `isDirectory`, `deleteDirectory`, `fileExists`) and returns it without trailing slashes
 * (`/tmp/cur/` is `/tmp/cur`; `/` and `///` are `/`), so that a mutation never follows a
 * symlink in the last component because of a slash.
 */
export function directoryPath(path: unknown, ctx: ErrorContext, what = "path"): string {
  assertAbsolutePath(path, ctx, what);
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}
