import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";

/** Label on every container and image the bench makes (directly or through a provider), valued with the run id. */
export const BENCH_LABEL = "vm-bench.run";

/** The Morph emulator's label; the bench gives the emulator its run id as session, so the sweep finds those too. */
export const EMULATOR_SESSION_LABEL = "morph-emulator.session";

/** Shared state of one bench run. */
export interface BenchContext {
  docker: Docker;
  image: string;
  runId: string;
  labels: Record<string, string>;
  smoke: boolean;
  log: (line: string) => void;
  /** Remove every container and image carrying this run's label. */
  sweep: () => Promise<number>;
  /** Child processes (the Morph emulator) to end if the run is interrupted. */
  children: Set<ChildProcess>;
}

const repoRoot = join(import.meta.dirname, "..", "..", "..");

/**
 * The base image: `VM_BASE_IMAGE`, else the last line `scripts/base-image.sh` prints, else `vm-base:latest`.
 *
 * @example
 * ```ts
 * const image = resolveBaseImage();
 * ```
 */
export function resolveBaseImage(): string {
  const fromEnv = process.env.VM_BASE_IMAGE;
  if (fromEnv) return fromEnv;
  const script = join(repoRoot, "scripts", "base-image.sh");
  if (existsSync(script)) {
    const out = execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const last = out.trim().split("\n").pop()?.trim();
    if (last) return last;
  }
  return "vm-base:latest";
}

/**
 * Remove everything labelled with this run: containers first (force), then images.
 *
 * @example
 * ```ts
 * await sweepRun(new Docker(), "bench-123");
 * ```
 */
export async function sweepRun(docker: Docker, runId: string): Promise<number> {
  let removed = 0;
  const filters = [`${BENCH_LABEL}=${runId}`, `${EMULATOR_SESSION_LABEL}=${runId}`].map((label) => ({ label: [label] }));
  const containers = (await Promise.all(filters.map((f) => docker.listContainers({ all: true, filters: f })))).flat();
  await Promise.all(
    containers.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
        removed++;
      } catch {
        // Already gone (a provider terminated it concurrently): nothing to do.
      }
    }),
  );
  const images = (await Promise.all(filters.map((f) => docker.listImages({ filters: f })))).flat();
  for (const image of images) {
    try {
      await docker.getImage(image.Id).remove({ force: true });
      removed++;
    } catch {
      // In use by a container that is still being removed, or already gone.
    }
  }
  return removed;
}

/**
 * Create the shared context: one Docker client, the image, a run id and its label.
 *
 * @example
 * ```ts
 * const ctx = createContext({ smoke: true });
 * ```
 */
export function createContext(options: { smoke: boolean; log?: (line: string) => void }): BenchContext {
  const docker = new Docker();
  const runId = `bench-${Date.now().toString(36)}-${process.pid}`;
  return {
    docker,
    image: resolveBaseImage(),
    runId,
    labels: { [BENCH_LABEL]: runId },
    smoke: options.smoke,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
    sweep: () => sweepRun(docker, runId),
    children: new Set(),
  };
}

/**
 * Start a container the way the raw baselines do: the base image, `sleep infinity`, this run's label.
 *
 * @example
 * ```ts
 * const id = await startRawContainer(ctx);
 * ```
 */
export async function startRawContainer(ctx: BenchContext): Promise<string> {
  const container = await ctx.docker.createContainer({
    Image: ctx.image,
    Cmd: ["sleep", "infinity"],
    Labels: ctx.labels,
    HostConfig: { Init: true },
  });
  await container.start();
  return container.id;
}
