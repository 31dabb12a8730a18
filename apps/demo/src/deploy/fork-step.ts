import type { BootedInstance } from "@vm/core";
import { APP_NAME, CONFIG_PATH, WORKERS, type AppConfig, type DeployRun, probe, responseLines, statMode, throwIfAborted, writeConfig } from "./run.js";
import type { StepContext } from "./step-runner.js";

// Step 8 of deployApp: snapshot the running app, fork it twice, give each fork its own
// config, and show the parent is unchanged.

async function snapshotRunningApp(run: DeployRun, ctx: StepContext): Promise<string> {
  const { instanceId } = run.state;
  ctx.update(`snapshots.create(${instanceId})`);
  const snapshot = await run.provider.snapshots.create(instanceId, { metadata: run.metadata });
  run.tracker.addSnapshot(snapshot.id);
  ctx.detail("snapshotId", snapshot.id);
  ctx.check("snapshot of the running app is ready", snapshot.status === "ready", `status ${snapshot.status}`);
  ctx.print(`snapshot ${snapshot.id} (${snapshot.status})`);
  return snapshot.id;
}

async function forkTwice(run: DeployRun, ctx: StepContext, snapshotId: string): Promise<BootedInstance[]> {
  const { instanceId, baseSnapshotId } = run.state;
  ctx.update(`instances.fork(${instanceId}, 2)`);
  const forks = await run.provider.instances.fork(instanceId, 2);
  for (const f of forks) run.tracker.addInstance(f.id);
  // Forking may leave a snapshot behind (Morph's branch does): it is this run's too, so
  // step 10 deletes it after the forks (a provider that already removed it answers NOT_FOUND).
  const forkSnapshots = [...new Set(forks.map((f) => f.snapshot_id).filter((id): id is string => id !== undefined && id !== baseSnapshotId && id !== snapshotId))];
  for (const id of forkSnapshots) run.tracker.addSnapshot(id);
  ctx.detail("forkSnapshots", forkSnapshots);
  ctx.detail(
    "forks",
    forks.map((f) => f.id),
  );
  const ids = new Set(forks.map((f) => f.id));
  ctx.check("two independent forks", forks.length === 2 && ids.size === 2 && !ids.has(instanceId), forks.map((f) => f.id).join(", "));
  return forks;
}

/** Checks PM2 came along, writes the fork's own config, restarts the app and requests it. */
async function reconfigureFork(run: DeployRun, ctx: StepContext, fork: BootedInstance, label: string): Promise<Record<string, unknown>> {
  const { processes } = run.provider;
  ctx.update(`${label}: check PM2 came along, write its config, restart`);
  const carried = (await processes.list(fork.id)).filter((p) => p.name === APP_NAME);
  ctx.check(`${label} carries the PM2 app`, carried.length === WORKERS, `${carried.length} worker(s): ${carried.map((p) => p.status).join(", ")}`);
  const config: AppConfig = { name: "vm-demo", message: `Hello from ${label}`, runId: run.runId };
  await writeConfig(run, fork.id, config);
  const mode = await statMode(run, fork.id, CONFIG_PATH);
  ctx.check(`${label} config rewritten with mode 600`, mode === "600", mode);
  await processes.restart(fork.id, APP_NAME);
  throwIfAborted(run);
  ctx.update(`${label}: HTTP request inside the fork`);
  const result = await probe(run, fork.id, WORKERS, config.message);
  const messages = [...new Set(result.responses.map((r) => r.body.message))];
  ctx.check(`${label} serves its own message`, result.ok && messages.length === 1 && messages[0] === config.message, result.error ?? messages.join(", "));
  ctx.print(`${label} ${fork.id}:`, ...responseLines(run, result).map((line) => `  ${line}`));
  return { id: fork.id, message: config.message, probe: result };
}

async function checkParentUnchanged(run: DeployRun, ctx: StepContext): Promise<void> {
  const { instanceId } = run.state;
  ctx.update("the parent still serves its own message");
  const parent = await probe(run, instanceId, 1, "Hello from the parent VM");
  ctx.check("the parent is unchanged by its forks", parent.ok, parent.error ?? `${parent.responses.length} answers`);
  ctx.print(`parent ${instanceId}:`, ...responseLines(run, parent).map((line) => `  ${line}`));
}

/** Step 8: snapshot, fork twice, reconfigure each fork, check the parent. */
export async function forkApp(run: DeployRun, ctx: StepContext): Promise<void> {
  const snapshotId = await snapshotRunningApp(run, ctx);
  throwIfAborted(run);
  const forks = await forkTwice(run, ctx, snapshotId);
  throwIfAborted(run);
  const perFork: Record<string, unknown>[] = [];
  for (const [index, fork] of forks.entries()) {
    perFork.push(await reconfigureFork(run, ctx, fork, `fork ${index + 1}`));
    throwIfAborted(run);
  }
  ctx.detail("perFork", perFork);
  await checkParentUnchanged(run, ctx);
}
