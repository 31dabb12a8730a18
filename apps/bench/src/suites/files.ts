import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import type { BenchContext } from "../context.js";
import { dockerCli, getFile, getFileDirect, putFile, rawExec, rawExecOk } from "../docker-raw.js";
import type { CaseResult, Variant } from "../harness.js";
import { runCase } from "../harness.js";
import type { Target } from "../target.js";

const KiB = 1024;
const MiB = 1024 * 1024;

/** Sizes and repetitions; the 256 MiB case runs fewest rounds to keep the whole bench near ten minutes on 2 cores. */
export function fileSizes(smoke: boolean): { bytes: number; label: string; warmup: number; reps: number }[] {
  if (smoke) {
    return [
      { bytes: KiB, label: "1 KiB", warmup: 0, reps: 1 },
      { bytes: MiB, label: "1 MiB", warmup: 0, reps: 1 },
    ];
  }
  return [
    { bytes: KiB, label: "1 KiB", warmup: 2, reps: 15 },
    { bytes: MiB, label: "1 MiB", warmup: 1, reps: 12 },
    { bytes: 64 * MiB, label: "64 MiB", warmup: 1, reps: 6 },
    { bytes: 256 * MiB, label: "256 MiB", warmup: 0, reps: 3 },
  ];
}

const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

async function remoteHashAndRemove(docker: Docker, containerId: string, path: string): Promise<string> {
  const { stdout } = await rawExecOk(docker, containerId, ["sh", "-c", 'sha256sum "$1" && rm -f "$1"', "sh", path]);
  return stdout.toString("utf8").slice(0, 64);
}

/** The design document's writeFile: three exec calls, the content as one base64 argument (so it hits the kernel's per-argument limit). */
async function seedWrite(docker: Docker, containerId: string, path: string, content: Buffer): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await rawExecOk(docker, containerId, ["mkdir", "-p", dir]);
  const result = await rawExec(docker, containerId, ["bash", "-c", `echo '${content.toString("base64")}' | base64 -d > "${path}"`]);
  if (result.exitCode !== 0) throw new Error(`design-doc write failed (exit ${result.exitCode}): ${result.stderr.toString("utf8").trim().slice(0, 160)}`);
  await rawExecOk(docker, containerId, ["chmod", "644", path]);
}

/** Exec a write of `bytes` the design document's way, mapping an engine rejection to a failure rather than a crash. */
async function seedFits(docker: Docker, containerId: string, bytes: number): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    await seedWrite(docker, containerId, "/bench/seed-probe/f", randomBytes(bytes));
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Where the design document's approach stops working. */
export interface SeedLimit {
  largestOkBytes: number;
  smallestFailingBytes: number;
  error: string;
}

/**
 * Find the largest file the design document's approach can write (to 1 KiB), by bisection between 1 KiB and 1 MiB.
 *
 * @example
 * ```ts
 * const limit = await probeSeedLimit(ctx, target);
 * ```
 */
export async function probeSeedLimit(ctx: BenchContext, target: Target): Promise<SeedLimit> {
  let lo = KiB;
  let hi = MiB;
  const top = await seedFits(ctx.docker, target.containerId, hi);
  if (top.ok) return { largestOkBytes: hi, smallestFailingBytes: Number.NaN, error: "" };
  let error = top.error;
  while (hi - lo > KiB) {
    const mid = Math.round((lo + hi) / 2 / KiB) * KiB;
    const probe = await seedFits(ctx.docker, target.containerId, mid);
    if (probe.ok) lo = mid;
    else {
      hi = mid;
      error = probe.error;
    }
  }
  return { largestOkBytes: lo, smallestFailingBytes: hi, error };
}

/**
 * File write and read throughput at each size: ours (writeFile, writeFileAtomic, readFileBytes)
 * against `docker cp`, raw putArchive/getArchive and (writes up to 1 MiB) the design document's approach.
 *
 * @example
 * ```ts
 * const cases = await filesSuite(ctx, target);
 * ```
 */
export async function filesSuite(ctx: BenchContext, target: Target): Promise<CaseResult[]> {
  const { docker, log } = ctx;
  const { containerId, provider, instanceId } = target;
  const scratch = join(tmpdir(), ctx.runId);
  await mkdir(scratch, { recursive: true });
  await rawExecOk(docker, containerId, ["mkdir", "-p", "/bench"]);
  const results: CaseResult[] = [];
  try {
    for (const size of fileSizes(ctx.smoke)) {
      const content = randomBytes(size.bytes);
      const hash = sha256(content);
      const local = join(scratch, `content-${size.bytes}`);
      await writeFile(local, content);
      const expectRemote = (path: string) => async () => {
        const got = await remoteHashAndRemove(docker, containerId, path);
        if (got !== hash) throw new Error(`${path}: hash ${got.slice(0, 12)} != ${hash.slice(0, 12)}`);
      };

      const writes: Variant[] = [];
      if (provider && instanceId) {
        writes.push({
          name: "ours: writeFile",
          kind: "ours",
          run: () => provider.files.writeFile(instanceId, "/bench/ours-w", content),
          verify: expectRemote("/bench/ours-w"),
        });
        writes.push({
          name: "ours: writeFileAtomic",
          kind: "ours",
          run: () => provider.files.writeFileAtomic(instanceId, "/bench/atomic/d/ours-a", content, { mode: "644", createDirs: true }),
          verify: expectRemote("/bench/atomic/d/ours-a"),
        });
      }
      writes.push({
        name: "docker cp",
        kind: "baseline",
        counted: false,
        run: async () => {
          await dockerCli(["cp", local, `${containerId}:/bench/cp-w`]);
        },
        verify: expectRemote("/bench/cp-w"),
      });
      writes.push({
        name: "raw putArchive",
        kind: "baseline",
        run: () => putFile(docker, containerId, "/bench/put-w", content),
        verify: expectRemote("/bench/put-w"),
      });
      if (size.bytes <= MiB) {
        writes.push({
          name: "design doc: mkdir + echo base64 + chmod",
          kind: "baseline",
          mayFail: true,
          run: () => seedWrite(docker, containerId, "/bench/seed/f", content),
          verify: expectRemote("/bench/seed/f"),
        });
      }
      log(`files: write ${size.label}`);
      results.push(
        await runCase(
          {
            id: `files.write.${size.bytes}`,
            group: "files",
            title: `write ${size.label}`,
            metric: "throughput",
            bytes: size.bytes,
            baseline: "docker cp",
            warmup: size.warmup,
            reps: size.reps,
            variants: writes,
          },
          log,
        ),
      );

      const source = `/bench/src-${size.bytes}`;
      await putFile(docker, containerId, source, content);
      const expectLocal = (got: () => Uint8Array | undefined) => () => {
        const bytes = got();
        if (!bytes) throw new Error("nothing read");
        const h = sha256(bytes);
        if (h !== hash) throw new Error(`read ${bytes.length} bytes, hash ${h.slice(0, 12)} != ${hash.slice(0, 12)}`);
      };
      const reads: Variant[] = [];
      if (provider && instanceId) {
        let got: Uint8Array | undefined;
        reads.push({
          name: "ours: readFileBytes",
          kind: "ours",
          before: () => void (got = undefined),
          run: async () => void (got = await provider.files.readFileBytes(instanceId, source)),
          verify: expectLocal(() => got),
        });
      }
      let cpOut: Uint8Array | undefined;
      const cpPath = join(scratch, "cp-out");
      reads.push({
        name: "docker cp",
        kind: "baseline",
        counted: false,
        before: async () => {
          cpOut = undefined;
          await rm(cpPath, { force: true });
        },
        run: async () => {
          await dockerCli(["cp", `${containerId}:${source}`, cpPath]);
        },
        verify: async () => {
          cpOut = await readFile(cpPath);
          expectLocal(() => cpOut)();
        },
      });
      let archived: Uint8Array | undefined;
      reads.push({
        name: "raw getArchive",
        kind: "baseline",
        before: () => void (archived = undefined),
        run: async () => void (archived = await getFile(docker, containerId, source)),
        verify: expectLocal(() => archived),
      });
      if (!ctx.smoke) {
        // Profiling: the same archive read with the tar header parsed by hand on `data` events
        // (no tar library, no pipe), to separate the engine's cost from the client's stream handling.
        let direct: Uint8Array | undefined;
        reads.push({
          name: "profile: raw getArchive, hand-parsed tar",
          kind: "baseline",
          before: () => void (direct = undefined),
          run: async () => void (direct = await getFileDirect(docker, containerId, source)),
          verify: expectLocal(() => direct),
        });
      }
      log(`files: read ${size.label}`);
      results.push(
        await runCase(
          {
            id: `files.read.${size.bytes}`,
            group: "files",
            title: `read ${size.label}`,
            metric: "throughput",
            bytes: size.bytes,
            baseline: "docker cp",
            warmup: size.warmup,
            reps: size.reps,
            variants: reads,
          },
          log,
        ),
      );
      await rawExecOk(docker, containerId, ["rm", "-f", source]);
      await rm(local, { force: true });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return results;
}
