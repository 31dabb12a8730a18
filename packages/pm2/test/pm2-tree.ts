// Test-only: a self-contained pm2 package directory on this machine, for installPM2's "upload"
// source, copied out of the base image (which has npm's global install of pm2 in
// /usr/local/lib/node_modules/pm2): offline, and the same pm2 the base image runs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { docker } from "./docker-exec.js";

export interface PM2Tree {
  /** The pm2 package directory (pass as `pm2Directory`). */
  dir: string;
  remove(): Promise<void>;
}

export async function pm2TreeFromImage(image: string): Promise<PM2Tree> {
  const root = await mkdtemp(join(tmpdir(), "vm-pm2-tree-"));
  const created = await docker(["create", "--label", "dev.vm.managed=true", "--label", "dev.vm.test=pm2", image]);
  if (created.code !== 0) throw new Error(`docker create failed: ${created.stderr}`);
  const id = created.stdout.trim();
  try {
    const copied = await docker(["cp", `${id}:/usr/local/lib/node_modules/pm2`, root]);
    if (copied.code !== 0) throw new Error(`docker cp failed: ${copied.stderr}`);
  } finally {
    await docker(["rm", "-f", id]);
  }
  return { dir: join(root, "pm2"), remove: () => rm(root, { recursive: true, force: true }) };
}
