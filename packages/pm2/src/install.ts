import { randomUUID } from "node:crypto";
import type { ExecResult, VMProvider } from "@vm/core";
import { MAX_TIMEOUT_MS, VMError, assertAbsolutePath, assertId, assertInteger, assertSignal, readOptionsObject, type ErrorContext } from "@vm/provider-kit";
import { fileCallBound } from "@vm/provider-kit/internal";
import { DEFAULT_PROVIDER } from "./constants.js";
import { installArgv, parseProbe, stepFailed, type ProbeResult } from "./install-steps.js";
import { clientNodeIsLinuxX64Glibc, nodeVersionOf, packNode, packPM2, pm2VersionOf } from "./install-upload.js";

/** Node version `installPM2` downloads with `source: "network"` when none is given. */
export const DEFAULT_NODE_VERSION = "24.21.0";
/** pm2 version `installPM2` installs with `source: "network"` when none is given. */
export const DEFAULT_PM2_VERSION = "7.0.4";
/** Bound of one whole `installPM2` call when none is given: 15 minutes. */
export const DEFAULT_INSTALL_TIMEOUT_MS = 15 * 60 * 1000;
/** Default `uploadConcurrency`: parallel file writes of the upload's parts. */
export const DEFAULT_UPLOAD_CONCURRENCY = 4;
/**
 * Size of one uploaded part: the upload is split so that its parts can be written in parallel
 * (a provider whose writes are many small exec requests, like Morph's, is latency-bound).
 */
export const UPLOAD_PART_BYTES = 2 * 1024 * 1024;

/**
 * Options of `installPM2()`.
 *
 * @example
 * ```ts
 * import type { InstallPM2Options } from "@vm/pm2";
 * const offline: InstallPM2Options = { source: "upload", pm2Directory: "/opt/pm2/lib/node_modules/pm2" };
 * const online: InstallPM2Options = { source: "network", nodeVersion: "24.21.0", pm2Version: "7.0.4" };
 * ```
 */
export interface InstallPM2Options {
  /**
   * Where Node and pm2 come from. `"upload"`: from this client, through the provider's file
   * writes (works offline and in a VM without network): `nodeBinary`, gzip'd, and `pm2Directory`
   * as a tar.gz. `"network"`: the VM downloads them itself (Node from nodejs.org with `curl` or
   * `wget`, pm2 with that Node's `npm`).
   *
   * @default `"upload"`
   */
  source?: "upload" | "network";
  /**
   * With `"upload"`: the Linux x86-64 (glibc) Node executable to upload, a path on this client.
   *
   * @default `process.execPath` when this client is itself Node on Linux x64 with glibc; elsewhere it must be given
   */
  nodeBinary?: string;
  /**
   * With `"upload"`: the pm2 package directory to upload, a path on this client. It must hold
   * pm2's dependencies in its own `node_modules`, as `npm install --global --prefix DIR pm2@7`
   * leaves `DIR/lib/node_modules/pm2` (pnpm's or a flat `npm install`'s layout does not).
   *
   * @default none: required with `"upload"`
   */
  pm2Directory?: string;
  /**
   * The Node version wanted. With `"network"`: the version downloaded. With `"upload"`: the
   * version of `nodeBinary` (only needed when that binary cannot run on this client).
   *
   * @default `DEFAULT_NODE_VERSION` (network); the version of `nodeBinary` (upload)
   */
  nodeVersion?: string;
  /**
   * With `"network"`: the pm2 version `npm` installs (with `"upload"` it is `pm2Directory`'s).
   *
   * @default `DEFAULT_PM2_VERSION`
   */
  pm2Version?: string;
  /**
   * Install prefix in the VM: Node goes to `<prefix>/bin/node`, pm2 to
   * `<prefix>/lib/node_modules/pm2` with `<prefix>/bin/pm2`. It must be on the PATH of the execs
   * that run pm2 (`/usr/local/bin` is on every default PATH). Writing it needs root.
   *
   * @default `"/usr/local"`
   */
  prefix?: string;
  /**
   * With `"upload"`: how many parts (of `UPLOAD_PART_BYTES`) are written at once, from 1 to 16.
   * A provider whose file writes are many small requests (Morph: 96 KiB of base64 per exec)
   * gains most from more.
   *
   * @default `DEFAULT_UPLOAD_CONCURRENCY` (4)
   */
  uploadConcurrency?: number;
  /**
   * Give up after this many milliseconds (whole call, uploads included): `TIMEOUT`.
   *
   * @default `DEFAULT_INSTALL_TIMEOUT_MS` (15 minutes)
   */
  timeoutMs?: number;
  /**
   * Abort the call: it rejects with `ABORTED` (at once if already aborted, before any work).
   *
   * @default none
   */
  signal?: AbortSignal;
  /**
   * Goes into `VMError.provider`.
   *
   * @default `"pm2"`
   */
  provider?: string;
}

/** What `installPM2()` found or did. */
export interface InstallPM2Result {
  /** `false`: the wanted Node and pm2 versions were already on PATH, and nothing was done. */
  changed: boolean;
  /** The Node version on PATH now. */
  node: string;
  /** The pm2 version on PATH now. */
  pm2: string;
  /** Compressed bytes written to the VM (`0` with `"network"` or when nothing changed). */
  uploadedBytes: number;
}

const OPTION_KEYS = ["source", "nodeBinary", "pm2Directory", "nodeVersion", "pm2Version", "prefix", "uploadConcurrency", "timeoutMs", "signal", "provider"] as const;
const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The provider services `installPM2` uses. */
export type InstallTarget = Pick<VMProvider, "instances" | "files">;

interface Plan {
  source: "upload" | "network";
  prefix: string;
  node: string;
  pm2: string;
  nodeBinary?: string;
  pm2Directory?: string;
}

function assertVersion(value: unknown, ctx: ErrorContext, what: string): asserts value is string | undefined {
  if (value !== undefined && (typeof value !== "string" || !VERSION.test(value))) {
    throw new VMError("INVALID_ARGUMENT", `${what} must be a version like "24.21.0", got ${JSON.stringify(value)}`, ctx);
  }
}

/** Checks the options and works out the wanted versions (reading the client's files), before any exec. */
async function plan(options: Record<string, unknown>, ctx: ErrorContext): Promise<Plan> {
  const source = options.source ?? "upload";
  if (source !== "upload" && source !== "network") throw new VMError("INVALID_ARGUMENT", `source must be "upload" or "network", got ${JSON.stringify(source)}`, ctx);
  const prefix = options.prefix ?? "/usr/local";
  assertAbsolutePath(prefix, ctx, "prefix");
  assertVersion(options.nodeVersion, ctx, "nodeVersion");
  assertVersion(options.pm2Version, ctx, "pm2Version");
  if (source === "network") {
    if (options.nodeBinary !== undefined || options.pm2Directory !== undefined) {
      throw new VMError("INVALID_ARGUMENT", 'nodeBinary and pm2Directory are for source "upload"', ctx);
    }
    return { source, prefix, node: options.nodeVersion ?? DEFAULT_NODE_VERSION, pm2: options.pm2Version ?? DEFAULT_PM2_VERSION };
  }
  if (options.pm2Version !== undefined) throw new VMError("INVALID_ARGUMENT", 'pm2Version is for source "network" (with "upload" it is pm2Directory\'s)', ctx);
  if (options.nodeBinary === undefined && !clientNodeIsLinuxX64Glibc()) {
    throw new VMError("INVALID_ARGUMENT", `this client's Node (${process.platform}-${process.arch}) cannot run in a Linux x64 VM: pass nodeBinary (a Linux x64 glibc node) or use source "network"`, ctx);
  }
  const nodeBinary = options.nodeBinary ?? process.execPath;
  assertAbsolutePath(nodeBinary, ctx, "nodeBinary");
  if (options.pm2Directory === undefined) throw new VMError("INVALID_ARGUMENT", 'pm2Directory is required with source "upload"', ctx);
  assertAbsolutePath(options.pm2Directory, ctx, "pm2Directory");
  const node = options.nodeVersion ?? (await nodeVersionOf(nodeBinary, ctx));
  const pm2 = await pm2VersionOf(options.pm2Directory, ctx);
  return { source, prefix, node, pm2, nodeBinary, pm2Directory: options.pm2Directory };
}

/**
 * Installs Node.js and PM2 in a VM that lacks them (Morph's `morphvm-minimal` has neither), so
 * `@vm/pm2` can run there. Idempotent: when the wanted versions are already on PATH it changes
 * nothing (`changed: false`), so it is cheap to call on every boot, and the usual way is to call
 * it once and snapshot the result (`snapshots.create(id, { digest })`).
 *
 * Needs root in the VM (the default exec user of the Docker and Morph providers) for the default
 * prefix. Errors: bad options → `INVALID_ARGUMENT` before any exec; a VM that is not Linux x86-64
 * with glibc (upload) → `UNSUPPORTED`; a failing step → `INTERNAL` (or `PERMISSION_DENIED`) with
 * its stderr; `TIMEOUT` / `ABORTED` from `timeoutMs` / `signal`.
 *
 * @example
 * ```ts
 * import type { VMProvider } from "@vm/core";
 * import { createPM2ProcessService, installPM2 } from "@vm/pm2";
 *
 * async function nodeSnapshot(provider: VMProvider) {
 *   const base = await provider.snapshots.fromImage("morphvm-minimal");
 *   await using vm = await provider.instances.boot(base.id);
 *   await installPM2(provider, vm.id, { source: "network" }); // or "upload" with pm2Directory
 *   const processes = createPM2ProcessService(provider.instances.exec.bind(provider.instances));
 *   await processes.list(vm.id); // []
 *   return provider.snapshots.create(vm.id, { digest: "node24-pm2-7" });
 * }
 * ```
 */
export async function installPM2(target: InstallTarget, instanceId: string, options: InstallPM2Options = {}): Promise<InstallPM2Result> {
  const raw = readOptionsObject(options, { provider: DEFAULT_PROVIDER, operation: "installPM2" }, "options", OPTION_KEYS) ?? {};
  const provider = raw.provider ?? DEFAULT_PROVIDER;
  if (typeof provider !== "string") throw new VMError("INVALID_ARGUMENT", "provider must be a string", { provider: DEFAULT_PROVIDER, operation: "installPM2" });
  const ctx: ErrorContext = { provider, operation: "installPM2" };
  if (typeof target !== "object" || target === null || typeof target.instances?.exec !== "function" || typeof target.files?.writeFile !== "function") {
    throw new VMError("INVALID_ARGUMENT", "installPM2 needs a provider (its instances.exec and files.writeFile)", ctx);
  }
  assertId(instanceId, ctx, "instanceId");
  if (raw.timeoutMs !== undefined) assertInteger(raw.timeoutMs, ctx, "timeoutMs", 1, MAX_TIMEOUT_MS);
  const concurrency = raw.uploadConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY;
  assertInteger(concurrency, ctx, "uploadConcurrency", 1, 16);
  assertSignal(raw.signal, ctx);
  const want = await plan(raw, ctx);
  const bound = fileCallBound({ signal: raw.signal, timeoutMs: raw.timeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS }, ctx, want.prefix);

  async function step<T>(work: (limits: { signal: AbortSignal; timeoutMs?: number }) => Promise<T>): Promise<T> {
    const limits = bound.step();
    try {
      return await work(limits);
    } catch (err) {
      throw bound.translate(err);
    }
  }
  const exec = (argv: string[]): Promise<ExecResult> => step((limits) => target.instances.exec(instanceId, argv, limits));
  const probe = async (): Promise<ProbeResult> => parseProbe(await exec(installArgv("probe", want.prefix)), ctx);

  const before = await probe();
  const needNode = before.node !== want.node;
  const needPM2 = before.pm2 !== want.pm2;
  if (!needNode && !needPM2) return { changed: false, node: before.node, pm2: before.pm2, uploadedBytes: 0 };

  let uploadedBytes = 0;
  if (want.source === "network") {
    const result = await exec(installArgv("network", want.prefix, needNode ? want.node : "", needPM2 ? want.pm2 : ""));
    if (result.exit_code !== 0) throw stepFailed("downloading Node/pm2", result, ctx);
  } else {
    if (before.arch !== "x86_64" || before.libc !== "glibc") {
      throw new VMError("UNSUPPORTED", `installPM2: the VM is ${before.arch} with ${before.libc}; an uploaded node must be Linux x86_64 with glibc (use source "network")`, ctx);
    }
    const uploads = `/tmp/vm-pm2-install-${randomUUID()}`;
    let created = false;
    try {
      const parts: { path: string; bytes: Uint8Array }[] = [];
      const split = (name: string, bytes: Uint8Array) => {
        for (let i = 0, n = 0; i < bytes.length; i += UPLOAD_PART_BYTES, n++) {
          parts.push({ path: `${uploads}/${name}.${String(n).padStart(4, "0")}`, bytes: bytes.subarray(i, i + UPLOAD_PART_BYTES) });
        }
        uploadedBytes += bytes.length;
      };
      if (needNode) split("node.gz", await packNode(want.nodeBinary ?? process.execPath, ctx));
      let top = "";
      if (needPM2) {
        const packed = await packPM2(want.pm2Directory ?? "");
        top = packed.top;
        split("pm2.tgz", packed.bytes);
      }
      await step((limits) => target.files.createDirectory(instanceId, uploads, { ...limits, recursive: true }));
      created = true;
      // A few writers take the parts in order; the first failure stops the others' next parts.
      let next = 0;
      let failed = false;
      const writer = async () => {
        while (!failed && next < parts.length) {
          const part = parts[next++]!;
          try {
            await step((limits) => target.files.writeFile(instanceId, part.path, part.bytes, limits));
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      };
      const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, parts.length) }, writer));
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (rejected) throw rejected.reason;
      const result = await exec(installArgv("unpack", want.prefix, uploads, top));
      created = false; // the script deletes the upload directory, whatever its outcome
      if (result.exit_code !== 0) throw stepFailed("unpacking Node/pm2", result, ctx);
    } finally {
      if (created) {
        // A failed or stopped upload: best effort, bounded, never masking the real error.
        await target.instances.exec(instanceId, ["rm", "-rf", "--", uploads], { timeoutMs: 30_000 }).catch(() => undefined);
      }
    }
  }

  const after = await probe();
  if (after.node !== want.node || after.pm2 !== want.pm2) {
    throw new VMError(
      "INTERNAL",
      `installPM2: installed Node ${want.node} and pm2 ${want.pm2} in ${want.prefix}, but PATH for user ${after.user} finds node ${after.node || "(none)"} and pm2 ${after.pm2 || "(none)"} (another one earlier on PATH?)`,
      ctx,
    );
  }
  return { changed: true, node: after.node, pm2: after.pm2, uploadedBytes };
}
