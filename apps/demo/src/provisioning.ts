import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DEFAULT_NODE_VERSION, DEFAULT_PM2_VERSION } from "@vm/pm2";
import { VMError } from "@vm/provider-kit";
import type { ProvisionOptions } from "./deploy/provision.js";

/**
 * A pm2 package directory to upload: `--pm2-dir`, else npm's global install of pm2 in the demo's
 * cache (`$XDG_CACHE_HOME/vm-demo` or `~/.cache/vm-demo`), made with this machine's npm the
 * first time (the only step that needs the npm registry).
 *
 * @example
 * ```ts
 * import { pm2DirectoryFor } from "@vm/demo";
 * const dir = await pm2DirectoryFor(process.env); // .../vm-demo/pm2-7.0.4/lib/node_modules/pm2
 * ```
 */
export async function pm2DirectoryFor(env: NodeJS.ProcessEnv, given?: string): Promise<string> {
  if (given !== undefined) return given;
  const prefix = join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "vm-demo", `pm2-${DEFAULT_PM2_VERSION}`);
  const dir = join(prefix, "lib", "node_modules", "pm2");
  if (existsSync(join(dir, "package.json"))) return dir;
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      "npm",
      ["install", "--global", "--prefix", prefix, "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier", "--omit=dev", `pm2@${DEFAULT_PM2_VERSION}`],
      { encoding: "utf8", timeout: 600_000 },
      (err) => (err ? reject(new VMError("UNAVAILABLE", `npm could not install pm2@${DEFAULT_PM2_VERSION} to upload (${err.message.split("\n")[0] ?? ""}); pass --pm2-dir or --provision network`, { operation: "cli", cause: err })) : resolve()),
    );
    child.stderr?.pipe(process.stderr);
  });
  return dir;
}

/**
 * Step 1's provisioning for an image without Node and PM2: `upload` sends this client's Node
 * and `pm2Dir` (offline-friendly), `network` has the VM download them. The digest names the
 * content, so a later run with the same image and versions reuses the snapshot.
 *
 * @example
 * ```ts
 * import { demoProvision } from "@vm/demo";
 * const provision = demoProvision("morphvm-minimal", "network");
 * console.log(provision.digest); // "vm-demo-morphvm-minimal-node-24.21.0-pm2-7.0.4"
 * ```
 */
export function demoProvision(imageId: string, source: "upload" | "network", pm2Dir?: string): ProvisionOptions {
  if (source === "network") {
    return { digest: `vm-demo-${imageId}-node-${DEFAULT_NODE_VERSION}-pm2-${DEFAULT_PM2_VERSION}`, install: { source } };
  }
  if (pm2Dir === undefined) throw new VMError("INVALID_ARGUMENT", "provisioning by upload needs a pm2 directory", { operation: "cli" });
  let pm2Version = "unknown";
  try {
    pm2Version = (JSON.parse(readFileSync(join(pm2Dir, "package.json"), "utf8")) as { version?: string }).version ?? pm2Version;
  } catch (err) {
    throw new VMError("INVALID_ARGUMENT", `--pm2-dir ${JSON.stringify(pm2Dir)} is not a pm2 package directory`, { operation: "cli", cause: err });
  }
  return { digest: `vm-demo-${imageId}-node-${process.versions.node}-pm2-${pm2Version}`, install: { source, pm2Directory: pm2Dir } };
}
