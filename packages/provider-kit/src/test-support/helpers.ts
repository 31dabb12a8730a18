import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isVMError } from "../errors.js";
import { FILE_SCRIPT_ERROR_EXIT_CODE, FILE_SCRIPT_NAME } from "../files/scripts.js";

/** A scratch directory tree (0755, so a test can also act as an unprivileged user in it). */
export interface Scratch {
  root: string;
  fresh(): Promise<string>;
  dispose(): Promise<void>;
}

export async function createScratch(prefix = "vm-files-"): Promise<Scratch> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await chmod(root, 0o755);
  let counter = 0;
  return {
    root,
    async fresh() {
      const dir = join(root, `case-${++counter}`);
      await mkdir(dir);
      await chmod(dir, 0o755);
      return dir;
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

/** The VMError code a promise rejects with, or "RESOLVED". Anything that is not a VMError fails the test. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isVMError(err)) return err.code;
    throw err;
  }
  return "RESOLVED";
}

/** `size` bytes that cycle through all 256 byte values (and not in a plain 0..255 rhythm). */
export function allBytes(size: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8) + seed) & 0xff;
  return bytes;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Names of leftover temp files (`.<name>.vm-tmp.<suffix>`) in a directory. */
export async function tempFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes(".vm-tmp."));
}

/** Runs a file script with the local bash, as a provider does: `bash -c SCRIPT vm-files args...`. */
export function runFileScript(script: string, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync("bash", ["-c", script, FILE_SCRIPT_NAME, ...args], { encoding: "utf8" });
}

/** A file script's classified failure (`EINVAL`, ...), or `exit <code>` for a run that did not fail that way. */
export function scriptFailure(result: SpawnSyncReturns<string>): string {
  if (result.status !== FILE_SCRIPT_ERROR_EXIT_CODE) return `exit ${result.status}`;
  return (result.stderr.trimEnd().split("\n").at(-1) ?? "").replace("@@vm-files-error ", "");
}
