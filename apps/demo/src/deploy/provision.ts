import type { InstallPM2Options } from "@vm/pm2";
import { installPM2 } from "@vm/pm2";
import { DEFAULT_VM_RESOURCES } from "@vm/provider-kit";
import type { DeployRun } from "./run.js";
import type { StepContext } from "./step-runner.js";

/**
 * How step 1 gets Node and PM2 into a base image that lacks them (Morph's `morphvm-minimal`):
 * once, into a snapshot named by `digest`, which later runs find and reuse.
 *
 * @example
 * ```ts
 * import type { ProvisionOptions } from "@vm/demo";
 * const provision: ProvisionOptions = { digest: "vm-demo-morphvm-minimal-node-24.21.0-pm2-7.0.4", install: { source: "network" } };
 * ```
 */
export interface ProvisionOptions {
  /** Names the Node+PM2 snapshot after its content; a ready snapshot with this digest is reused. */
  digest: string;
  /** Passed to `installPM2()` (its `signal` is the run's). */
  install: InstallPM2Options;
}

/**
 * The snapshot with Node and PM2 for `imageId`: the one with `digest` when it exists and is
 * ready, else built now (snapshot the image, boot it, installPM2, snapshot it with the digest).
 * The build's own instance and image snapshot are the run's (tracked, removed by step 10); the
 * Node+PM2 snapshot is kept for the next run.
 */
export async function provisionedSnapshot(run: DeployRun, ctx: StepContext, imageId: string, provision: ProvisionOptions): Promise<string> {
  const { provider, tracker, signal } = run;
  ctx.update(`snapshots.list({ digest: ${provision.digest} })`);
  const existing = (await provider.snapshots.list({ digest: provision.digest })).find((s) => s.status === "ready");
  ctx.detail("digest", provision.digest);
  if (existing) {
    ctx.detail("resources", existing.resources ?? null);
    ctx.detail("provisioned", { reused: true, snapshotId: existing.id });
    ctx.check("the Node and PM2 snapshot is ready", existing.status === "ready", `snapshot ${existing.id} is ${existing.status}`);
    ctx.print(`reusing snapshot ${existing.id} (digest ${provision.digest}): Node and PM2 are installed in it`);
    return existing.id;
  }
  ctx.update(`snapshots.fromImage(${imageId})`);
  // Sized as step 1 sizes an unprovisioned image; a snapshot of the builder keeps its size.
  const image = await provider.snapshots.fromImage(imageId, { metadata: run.metadata, resources: DEFAULT_VM_RESOURCES });
  tracker.addSnapshot(image.id);
  ctx.update(`instances.boot(${image.id}) to install Node and PM2`);
  const builder = await provider.instances.boot(image.id, { ttl_seconds: run.ttlSeconds, ttl_action: "terminate", metadata: { ...run.metadata }, timeoutMs: 180_000, ...(signal ? { signal } : {}) });
  tracker.addInstance(builder.id);
  ctx.update(`installPM2(${builder.id}, { source: ${provision.install.source ?? "upload"} })`);
  const started = performance.now();
  const installed = await installPM2(provider, builder.id, { ...provision.install, provider: provider.name, ...(signal ? { signal } : {}) });
  const installMs = Math.round(performance.now() - started);
  ctx.update(`snapshots.create(${builder.id}, { digest: ${provision.digest} })`);
  // Not tracked: the point is that the next run finds it by its digest.
  const snapshot = await provider.snapshots.create(builder.id, { digest: provision.digest, metadata: { app: "vm-demo", "vm-demo-provisioned": "node-pm2" } });
  await provider.instances.terminate(builder.id);
  ctx.detail("resources", snapshot.resources ?? null);
  ctx.detail("provisioned", { reused: false, snapshotId: snapshot.id, node: installed.node, pm2: installed.pm2, uploadedBytes: installed.uploadedBytes, installMs });
  ctx.check("Node and PM2 are installed", installed.node !== "" && installed.pm2 !== "", `node ${installed.node}, pm2 ${installed.pm2}`);
  ctx.check("the Node and PM2 snapshot is ready", snapshot.status === "ready", `snapshot ${snapshot.id} is ${snapshot.status}`);
  ctx.print(
    `installed Node ${installed.node} and PM2 ${installed.pm2} in ${(installMs / 1000).toFixed(1)} s` +
      (installed.uploadedBytes > 0 ? ` (${(installed.uploadedBytes / 1048576).toFixed(1)} MiB uploaded)` : ""),
    `kept snapshot ${snapshot.id} (digest ${provision.digest}) for the next run`,
  );
  return snapshot.id;
}
