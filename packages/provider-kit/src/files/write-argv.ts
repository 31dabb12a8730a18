import { randomBytes } from "node:crypto";
import type { AtomicWriteOptions } from "@vm/core";
import { VMError } from "../errors.js";
import { assertAtomicWriteOptions } from "../validate-options.js";
import { assertFilePath } from "./paths.js";
import { FILE_SCRIPT_NAME, FILE_WRITE_SCRIPT } from "./scripts.js";

/**
 * The positional arguments of `FILE_WRITE_SCRIPT` (see its documentation).
 */
export interface FileWriteStep {
  how: "atomic" | "inplace";
  phase: "all" | "begin" | "append" | "commit" | "abort";
  source: "stdin" | "base64";
  path: string;
  /** Lowercase hex; names the temp file `.<name>.vm-tmp.<suffix>` (phase `all`: `...<suffix>-<pidns>-<pid>`) next to the target. */
  suffix: string;
  mode?: string | undefined;
  owner?: string | undefined;
  group?: string | undefined;
  createDirs?: boolean | undefined;
  /**
   * The byte count of the whole content. Phases `all` and `commit` publish only a file of
   * exactly this size (EOF on stdin may be a client that died mid-upload); omitted: unchecked.
   */
  size?: number | undefined;
}

/**
 * A fresh random temp-file suffix (16 lowercase hex characters).
 */
export function tempFileSuffix(): string {
  return randomBytes(8).toString("hex");
}

/**
 * The full argv (`bash -c FILE_WRITE_SCRIPT vm-files ...`) for one write step, with the
 * base64 pieces (if any) as the last arguments. Values are not validated here: callers
 * validate first (as `atomicWriteArgv` and `createExecFileService` do).
 */
export function fileWriteArgv(step: FileWriteStep, pieces: readonly string[] = []): string[] {
  return [
    "bash",
    "-c",
    FILE_WRITE_SCRIPT,
    FILE_SCRIPT_NAME,
    step.how,
    step.phase,
    step.source,
    step.path,
    step.suffix,
    step.mode ?? "",
    step.owner ?? "",
    step.group ?? "",
    step.createDirs === true ? "1" : "0",
    step.size === undefined ? "" : String(step.size),
    ...pieces,
  ];
}

/**
 * The argv of a complete, atomic `writeFileAtomic` in ONE exec that reads the content
 * from standard input: feed the bytes as stdin (a provider with a streaming transport can
 * pipe any size) and check the result with `fileErrorFromExecResult`. Pass `size` (the byte
 * count of the content): the write then fails (`UNAVAILABLE`) instead of publishing a prefix
 * when stdin ends early, as it does when the client dies mid-upload. Validates `path`,
 * `options` and `size` first and throws `VMError` `INVALID_ARGUMENT`.
 */
export function atomicWriteArgv(path: string, options: AtomicWriteOptions = {}, provider = "provider-kit", size?: number): string[] {
  const ctx = { provider, operation: "files.writeFileAtomic" };
  assertFilePath(path, ctx);
  assertAtomicWriteOptions(options, ctx);
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) {
    throw new VMError("INVALID_ARGUMENT", `size must be a whole number of bytes, got ${String(size)}`, ctx);
  }
  return fileWriteArgv({ how: "atomic", phase: "all", source: "stdin", path, suffix: tempFileSuffix(), ...options, size });
}

/**
 * Bytes an argv occupies in the kernel's argument area (each string plus its NUL). This is
 * what `maxArgBytes` (per argument) and `maxRequestBytes` (whole argv) are measured in.
 */
export function argvBytes(argv: readonly string[]): number {
  let total = 0;
  for (const arg of argv) total += Buffer.byteLength(arg) + 1;
  return total;
}
