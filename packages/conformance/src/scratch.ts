import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VMProvider } from "@vm/core";
import { isVMError } from "@vm/provider-kit";

// Scratch directories are flat entries of /tmp named after the run, so that one listing finds
// every one a run left, in the VM or (when the VM shares the host's /tmp, as a process sandbox
// or a bind mount does) on the host, and never one of another run.

/** Every scratch directory of every run starts with this (then `<run id>-`). */
export const SCRATCH_PREFIX = "vm-conformance-";

/** The directories scratch paths live in: `/tmp` in the VM; on the host, also `os.tmpdir()`. */
const SCRATCH_PARENT = "/tmp";

/** A new scratch path for one case of one run, e.g. `/tmp/vm-conformance-<run>-files.sizes-d-<hex>`. */
export function scratchPath(run: string, caseId: string): string {
  return `${SCRATCH_PARENT}/${SCRATCH_PREFIX}${run}-${caseId}-d-${randomBytes(5).toString("hex")}`;
}

/**
 * Removes a scratch directory after its case. An instance that is gone or no longer ready
 * took its files with it (or keeps them only until it is terminated): nothing to remove then.
 */
export async function removeScratch(provider: VMProvider, instanceId: string, dir: string): Promise<void> {
  try {
    await provider.files.deleteDirectory(instanceId, dir);
  } catch (err) {
    if (isVMError(err) && err.code === "NOT_FOUND") return;
    let status: string | undefined;
    try {
      status = (await provider.instances.get(instanceId)).status;
    } catch {
      return; // the instance is gone: so is the directory
    }
    if (status !== "ready") return;
    throw err;
  }
}

/** Which of `paths` exist on this host (where the VM shares the host's filesystem). */
export function onHost(paths: readonly string[]): string[] {
  return paths.filter((p) => existsSync(p));
}

/** Entries of the host's temporary directories that carry this run's scratch prefix. */
export function hostLeftovers(run: string): string[] {
  const found = new Set<string>();
  for (const parent of new Set([SCRATCH_PARENT, tmpdir()])) {
    let names: string[];
    try {
      names = readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of names) if (name.startsWith(`${SCRATCH_PREFIX}${run}-`)) found.add(join(parent, name));
  }
  return [...found].sort();
}
