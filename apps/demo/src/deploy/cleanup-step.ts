import { hasVMErrorCode } from "@vm/provider-kit";
import type { CleanupEntry } from "../tracker.js";
import { type DeployRun, errorInfo } from "./run.js";
import type { StepContext } from "./step-runner.js";
import { DEMO_METADATA_KEYS } from "./types.js";

// Step 9 of deployApp: it always runs, and proves what it claims.

async function removeTracked(run: DeployRun, ctx: StepContext): Promise<void> {
  const { tracker } = run;
  ctx.update(`removing ${tracker.instances.length} instance(s) and ${tracker.snapshots.length} snapshot(s)`);
  const entries: CleanupEntry[] = await tracker.cleanup(run.provider);
  ctx.detail("removed", entries);
  for (const entry of entries) {
    ctx.check(`${entry.kind} ${entry.id} removed`, entry.ok, entry.error ? `${entry.error.code}: ${entry.error.message}` : entry.outcome);
  }
  ctx.print(...entries.map((e) => `${e.ok ? "removed" : "FAILED "} ${e.kind} ${e.id}${e.outcome === "already-gone" ? " (already gone)" : ""}`));
}

/** Nothing the run created still answers. */
async function checkAllGone(run: DeployRun, ctx: StepContext): Promise<void> {
  const { provider, tracker } = run;
  for (const id of tracker.created.instances) {
    const gone = await provider.instances.get(id).then(
      (vm) => `still there (${vm.status})`,
      (err: unknown) => (hasVMErrorCode(err, "NOT_FOUND") ? "NOT_FOUND" : `${errorInfo(err).code}`),
    );
    ctx.check(`instance ${id} is gone`, gone === "NOT_FOUND", gone);
  }
  for (const id of tracker.created.snapshots) {
    const gone = await provider.snapshots.get(id).then(
      (s) => `still there (${s.status})`,
      (err: unknown) => (hasVMErrorCode(err, "NOT_FOUND") ? "NOT_FOUND" : `${errorInfo(err).code}`),
    );
    ctx.check(`snapshot ${id} is gone`, gone === "NOT_FOUND", gone);
  }
}

/** A boot interrupted mid-way may have made an instance the tracker never saw: find it by metadata. */
async function removeStrays(run: DeployRun, ctx: StepContext): Promise<void> {
  const { provider, tracker, runId } = run;
  const mine = async () =>
    (await provider.instances.list({ metadata: { [DEMO_METADATA_KEYS.run]: runId } })).filter(
      // Filter again here: never terminate someone else's instance because a filter was ignored.
      (vm) => vm.metadata?.[DEMO_METADATA_KEYS.run] === runId,
    );
  const strays = await mine();
  for (const stray of strays) {
    ctx.update(`terminating untracked instance ${stray.id}`);
    tracker.addInstance(stray.id);
  }
  if (strays.length > 0) await tracker.cleanup(provider);
  const left = await mine();
  ctx.check("no instance with this run's metadata is left", left.length === 0, left.map((vm) => vm.id).join(", ") || "none");
  ctx.detail("strays", strays.map((vm) => vm.id));
  if (strays.length > 0) ctx.print(`also removed ${strays.length} untracked instance(s): ${strays.map((vm) => vm.id).join(", ")}`);
}

/** Step 9: terminate everything the run created, and prove nothing is left. */
export async function cleanUp(run: DeployRun, ctx: StepContext): Promise<void> {
  await removeTracked(run, ctx);
  await checkAllGone(run, ctx);
  await removeStrays(run, ctx);
}
