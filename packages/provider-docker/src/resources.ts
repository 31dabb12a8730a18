import type { VMResourcesInForce } from "@vm/core";
import { parseResources, resolveResources } from "@vm/provider-kit";
import type Dockerode from "dockerode";
import type { DockerContext } from "./context.js";
import { fromDockerError } from "./errors.js";
import { DOCKER_LABELS, readLabel } from "./labels.js";

/**
 * The resources a snapshot's (or an instance's) `dev.vm.resources` label records, else the
 * defaults: a snapshot made before the label existed boots with them, so they are in force.
 */
export function resourcesOf(labels: Record<string, string> | undefined | null): VMResourcesInForce {
  return parseResources(readLabel(labels, DOCKER_LABELS.resources)) ?? resolveResources();
}

const MB = 1024 * 1024;

// The engine's CPU count, asked once per client: it does not change while the engine runs.
const engineCpus = new WeakMap<Dockerode, Promise<number>>();

function cpusOf(ctx: DockerContext, operation: string): Promise<number> {
  let cpus = engineCpus.get(ctx.docker);
  if (!cpus) {
    cpus = (ctx.docker.info() as Promise<{ NCPU?: number }>).then((info) => (typeof info.NCPU === "number" && info.NCPU > 0 ? info.NCPU : 1));
    engineCpus.set(ctx.docker, cpus);
    // A failed answer is not kept: the next boot asks again.
    cpus.catch(() => engineCpus.delete(ctx.docker));
  }
  return cpus.catch((err: unknown) => {
    throw fromDockerError(err, { provider: ctx.provider, operation });
  });
}

/**
 * The container limits that make `resources` the machine's size:
 * - memory: `Memory` = `MemorySwap` = `memoryMb` MiB, so there is no swap beyond it (a VM has
 *   none either) and a process that needs more is killed by the kernel's OOM killer;
 * - vCPUs: `NanoCpus` (a CFS quota of `vcpus` CPUs), capped at the engine's CPU count: the
 *   engine refuses a quota above it ("range of CPUs is from 0.01 to N"), and a machine cannot
 *   be given more CPU time than there is. The instance still reports the `vcpus` asked for.
 * - disk: nothing. `HostConfig.StorageOpt.size` works only on overlay2 over xfs mounted with
 *   `pquota`, and on the devicemapper, btrfs, zfs and windowsfilter drivers; the usual engine
 *   (overlay2 on ext4) refuses the option outright. `diskMb` is recorded and reported only.
 */
export async function hostConfigFor(ctx: DockerContext, resources: VMResourcesInForce, operation: string): Promise<{ NanoCpus: number; Memory: number; MemorySwap: number }> {
  const cpus = Math.min(resources.vcpus, await cpusOf(ctx, operation));
  const memory = resources.memoryMb * MB;
  return { NanoCpus: cpus * 1e9, Memory: memory, MemorySwap: memory };
}
