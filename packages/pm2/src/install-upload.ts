import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { VMError, type ErrorContext } from "@vm/provider-kit";
import { create as createTar } from "tar";

const gzip = promisify(gzipCallback);
const run = promisify(execFile);

/**
 * gzip level of the uploads. The VM unpacks with `gzip`/`tar` (a minimal Debian has no xz or zstd);
 * on a Node 24 binary level 6 is about 10% smaller than level 1, and every byte saved is a byte
 * less to push through the provider's exec-based file writes (Morph: 96 KiB of base64 per request).
 */
export const UPLOAD_GZIP_LEVEL = 6;

/** Whether this client process is itself Node on Linux x64 with glibc, so its own binary runs in a Linux x64 VM. */
export function clientNodeIsLinuxX64Glibc(): boolean {
  if (process.platform !== "linux" || process.arch !== "x64") return false;
  const header = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return typeof header?.header?.glibcVersionRuntime === "string";
}

/** The version of the Node executable at `path` (this process's own without running anything). */
export async function nodeVersionOf(path: string, ctx: ErrorContext): Promise<string> {
  if (path === process.execPath) return process.versions.node;
  try {
    const { stdout } = await run(path, ["-p", "process.versions.node"], { timeout: 30_000, encoding: "utf8" });
    return stdout.trim();
  } catch (err) {
    throw new VMError("INVALID_ARGUMENT", `installPM2: nodeBinary ${JSON.stringify(path)} does not run here to tell its version; pass nodeVersion too`, { ...ctx, cause: err });
  }
}

/** The gzip'd Node executable to upload. */
export async function packNode(path: string, ctx: ErrorContext): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new VMError("INVALID_ARGUMENT", `installPM2: cannot read nodeBinary ${JSON.stringify(path)}`, { ...ctx, cause: err });
  }
  // An ELF executable for x86-64 (e_machine 62): anything else would fail in the VM anyway.
  if (bytes.length < 20 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes.readUInt16LE(18) !== 62) {
    throw new VMError("INVALID_ARGUMENT", `installPM2: nodeBinary ${JSON.stringify(path)} is not a Linux x86-64 executable`, ctx);
  }
  return gzip(bytes, { level: UPLOAD_GZIP_LEVEL });
}

/** The pm2 package's version, read from `<dir>/package.json` (which must name pm2). */
export async function pm2VersionOf(dir: string, ctx: ErrorContext): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
    if (pkg.name === "pm2" && typeof pkg.version === "string" && (await stat(join(dir, "bin", "pm2"))).isFile()) return pkg.version;
  } catch (err) {
    throw new VMError("INVALID_ARGUMENT", `installPM2: pm2Directory ${JSON.stringify(dir)} is not a pm2 package directory`, { ...ctx, cause: err });
  }
  throw new VMError("INVALID_ARGUMENT", `installPM2: pm2Directory ${JSON.stringify(dir)} is not a pm2 package directory (package.json must name pm2, bin/pm2 must exist)`, ctx);
}

/** The pm2 package directory as a tar.gz whose one top directory is the directory's own name. */
export async function packPM2(dir: string): Promise<{ bytes: Uint8Array; top: string }> {
  const top = basename(dir);
  // portable: no owner names or host-specific metadata; symlinks inside the tree stay links.
  const stream = createTar({ gzip: { level: UPLOAD_GZIP_LEVEL }, cwd: dirname(dir), portable: true }, [top]);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), top };
}
