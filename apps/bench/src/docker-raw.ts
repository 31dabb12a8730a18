import { execFile } from "node:child_process";
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { extract, pack } from "tar-stream";

/** What a raw exec returned. */
export interface RawExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** Split Docker's multiplexed exec stream (8-byte frame headers) into stdout and stderr. */
function demux(stream: Readable): Promise<{ stdout: Buffer; stderr: Buffer }> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let pending: Buffer = Buffer.alloc(0);
    stream.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const frame = pending.subarray(8, 8 + size);
        (pending[0] === 2 ? err : out).push(frame);
        pending = pending.subarray(8 + size);
      }
    });
    stream.on("end", () => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
    stream.on("close", () => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
    stream.on("error", reject);
  });
}

/**
 * The raw engine path a provider cannot beat: exec create + start + drain + inspect, four
 * Docker API requests, nothing else.
 *
 * @example
 * ```ts
 * const { exitCode } = await rawExec(docker, containerId, ["true"]);
 * ```
 */
export async function rawExec(docker: Docker, containerId: string, argv: readonly string[], options: { hijack?: boolean } = {}): Promise<RawExecResult> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true });
  // Without hijack the output comes back as the response body on a kept-alive connection; a
  // hijacked start (needed for stdin) upgrades and so uses up its connection.
  const stream = (await exec.start({ hijack: options.hijack === true, stdin: false })) as Readable;
  const { stdout, stderr } = await demux(stream);
  const info = await exec.inspect();
  return { stdout, stderr, exitCode: info.ExitCode ?? -1 };
}

/** `rawExec` that throws unless the command exited 0. */
export async function rawExecOk(docker: Docker, containerId: string, argv: readonly string[]): Promise<RawExecResult> {
  const result = await rawExec(docker, containerId, argv);
  if (result.exitCode !== 0) {
    throw new Error(`exec ${argv[0] ?? ""} exited ${result.exitCode}: ${result.stderr.toString("utf8").slice(0, 200)}`);
  }
  return result;
}

/**
 * Run the docker CLI (what a user types), collecting stdout as bytes.
 *
 * @example
 * ```ts
 * await dockerCli(["exec", id, "true"]);
 * ```
 */
export function dockerCli(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile("docker", [...args], { encoding: "buffer", maxBuffer: 1 << 30 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`docker ${args[0] ?? ""} failed: ${stderr.toString("utf8").trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Write one file with a single `PUT /containers/{id}/archive` (a one-entry tar built in memory).
 *
 * @example
 * ```ts
 * await putFile(docker, id, "/bench/f", Buffer.from("hi"));
 * ```
 */
export async function putFile(docker: Docker, containerId: string, path: string, content: Buffer, mode = 0o644): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash <= 0 ? "/" : path.slice(0, slash);
  const name = path.slice(slash + 1);
  const tar = pack();
  tar.entry({ name, size: content.length, mode, mtime: new Date() }, content);
  tar.finalize();
  await docker.getContainer(containerId).putArchive(tar as unknown as NodeJS.ReadableStream, { path: dir });
}

/**
 * Read one file with a single `GET /containers/{id}/archive`, untarring on the fly.
 *
 * @example
 * ```ts
 * const bytes = await getFile(docker, id, "/bench/f");
 * ```
 */
export async function getFile(docker: Docker, containerId: string, path: string): Promise<Buffer> {
  const stream = (await docker.getContainer(containerId).getArchive({ path })) as unknown as Readable;
  return new Promise((resolve, reject) => {
    const untar = extract();
    let content: Buffer | undefined;
    untar.on("entry", (header, entry, next) => {
      const chunks: Buffer[] = [];
      entry.on("data", (c: unknown) => chunks.push(c as Buffer));
      entry.on("end", () => {
        if (header.type === "file" && content === undefined) content = Buffer.concat(chunks);
        next();
      });
      entry.on("error", reject);
    });
    untar.on("finish", () => (content ? resolve(content) : reject(new Error(`no file in the archive of ${path}`))));
    untar.on("error", reject);
    stream.on("error", reject);
    stream.pipe(untar);
  });
}

/**
 * `getFile` without a tar library or `pipe`: the tar header is parsed by hand on `data`
 * events and the bytes are copied straight into one preallocated buffer. Used to profile how
 * much of a slow archive read is the client's stream handling rather than the engine.
 *
 * @example
 * ```ts
 * const bytes = await getFileDirect(docker, id, "/bench/f");
 * ```
 */
export async function getFileDirect(docker: Docker, containerId: string, path: string): Promise<Buffer> {
  const stream = (await docker.getContainer(containerId).getArchive({ path })) as unknown as Readable;
  return new Promise((resolve, reject) => {
    let pending: Buffer = Buffer.alloc(0);
    let skip = 0;
    let data: Buffer | undefined;
    let filled = 0;
    const octal = (b: Buffer) => parseInt(b.toString("latin1").replace(/\0.*$/, "").trim() || "0", 8);
    stream.on("data", (chunk: Buffer) => {
      if (data) {
        const n = Math.min(chunk.length, data.length - filled);
        chunk.copy(data, filled, 0, n);
        filled += n;
        return;
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (!data) {
        if (skip > 0) {
          const n = Math.min(skip, pending.length);
          pending = pending.subarray(n);
          skip -= n;
          if (skip > 0) return;
        }
        if (pending.length < 512) return;
        const header = pending.subarray(0, 512);
        pending = pending.subarray(512);
        const size = octal(header.subarray(124, 136));
        const type = String.fromCharCode(header[156] ?? 48);
        if (type === "0" || type === "\0" || type === "7") {
          data = Buffer.allocUnsafe(size);
          const n = Math.min(pending.length, size);
          pending.copy(data, 0, 0, n);
          filled = n;
        } else {
          // PAX / long-name headers come before the entry: skip their padded bodies.
          skip = Math.ceil(size / 512) * 512;
        }
      }
    });
    stream.on("end", () => (data && filled === data.length ? resolve(data) : reject(new Error(`incomplete archive of ${path}`))));
    stream.on("error", reject);
  });
}
