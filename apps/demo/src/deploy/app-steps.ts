import type { ProcessInfo } from "@vm/core";
import { DEFAULT_VM_RESOURCES, VMError } from "@vm/provider-kit";
import { formatBytes, renderTable } from "../render.js";
import { SERVER_SOURCE } from "../vm-scripts.js";
import { APP_DIR, APP_NAME, CONFIG_PATH, SERVER_PATH, WORKERS, type AppConfig, type DeployRun, execIn, probe, responseLines, statMode, tail, writeConfig } from "./run.js";
import { provisionedSnapshot } from "./provision.js";
import type { StepContext } from "./step-runner.js";
import { DEMO_METADATA_KEYS } from "./types.js";

// Steps 1-7 of deployApp: each reads what earlier steps left in `run.state`.

/**
 * Step 1: snapshot the base image (the provider's first image when none was given); with
 * `provision`, the snapshot of it with Node and PM2 (reused by digest, else built).
 */
export async function snapshotBase(run: DeployRun, ctx: StepContext): Promise<void> {
  const { provider, state } = run;
  if (state.imageId === undefined) {
    ctx.update("no image given: asking the provider for its images");
    const images = await provider.images.list();
    state.imageId = images[0]?.id;
    if (state.imageId === undefined) throw new VMError("INVALID_ARGUMENT", "the provider lists no images: pass an image id", { operation: "deployApp" });
  }
  const imageId = state.imageId;
  if (run.provision) {
    state.baseSnapshotId = await provisionedSnapshot(run, ctx, imageId, run.provision);
    ctx.detail("imageId", imageId);
    ctx.detail("snapshotId", state.baseSnapshotId);
    return;
  }
  ctx.update(`snapshots.fromImage(${imageId})`);
  // Sized explicitly, the same on Docker and Morph (whose API default, 128 MB, is too small):
  // PM2's daemon and the 2 cluster workers measured 219 MB RSS together (ps), 2 GB leaves room.
  const snapshot = await provider.snapshots.fromImage(imageId, { metadata: run.metadata, resources: DEFAULT_VM_RESOURCES });
  ctx.detail("resources", snapshot.resources ?? null);
  run.tracker.addSnapshot(snapshot.id);
  state.baseSnapshotId = snapshot.id;
  ctx.detail("imageId", imageId);
  ctx.detail("snapshotId", snapshot.id);
  ctx.check("snapshot is ready", snapshot.status === "ready", `status ${snapshot.status}`);
  ctx.print(`image ${imageId} -> snapshot ${snapshot.id}`);
}

/** Step 2: boot the snapshot with a TTL, and check the TTL, the metadata and node. */
export async function bootInstance(run: DeployRun, ctx: StepContext): Promise<void> {
  const { provider, ttlSeconds, runId, signal } = run;
  ctx.update(`instances.boot(${run.state.baseSnapshotId}, ttl ${ttlSeconds} s)`);
  const vm = await provider.instances.boot(run.state.baseSnapshotId, {
    ttl_seconds: ttlSeconds,
    ttl_action: "terminate",
    metadata: { ...run.metadata },
    timeoutMs: 180_000,
    ...(signal ? { signal } : {}),
  });
  run.tracker.addInstance(vm.id);
  run.state.instanceId = vm.id;
  ctx.detail("instanceId", vm.id);
  ctx.check("instance is ready", vm.status === "ready", `status ${vm.status}`);
  const info = await provider.instances.get(vm.id);
  ctx.detail("ttl", info.ttl ?? null);
  if (provider.capabilities.ttl) {
    ctx.check(`TTL is ${ttlSeconds} s, then terminate`, info.ttl?.seconds === ttlSeconds && info.ttl.action === "terminate", JSON.stringify(info.ttl ?? null));
  }
  ctx.check("run metadata is on the instance", info.metadata?.[DEMO_METADATA_KEYS.run] === runId, JSON.stringify(info.metadata ?? null));
  const node = await execIn(run, vm.id, ["node", "--version"]);
  ctx.detail("nodeVersion", node.stdout.trim());
  ctx.check("node runs in the VM", node.exit_code === 0 && node.stdout.startsWith("v"), node.stdout.trim() || `exit ${node.exit_code}`);
  ctx.print(`instance ${vm.id} is ${vm.status}; TTL ${ttlSeconds} s (terminate); node ${node.stdout.trim()}`);
}

/** Step 3: write config.json atomically with mode 600, and prove it in the VM. */
export async function writeAppConfig(run: DeployRun, ctx: StepContext): Promise<void> {
  const { files } = run.provider;
  const id = run.state.instanceId;
  const dirExisted = await files.fileExists(id, APP_DIR);
  const config: AppConfig = { name: "vm-demo", message: "Hello from the parent VM", runId: run.runId };
  ctx.update(`files.writeFileAtomic(${CONFIG_PATH}, { createDirs: true, mode: "600" })`);
  await writeConfig(run, id, config);
  ctx.detail("path", CONFIG_PATH);
  ctx.detail("config", config);
  ctx.check(`${APP_DIR} is a directory (createDirs)`, await files.isDirectory(id, APP_DIR), dirExisted ? "existed before" : "created by createDirs");
  const mode = await statMode(run, id, CONFIG_PATH);
  ctx.detail("mode", mode);
  ctx.check("mode is 600 (checked with stat in the VM)", mode === "600", mode);
  const readBack = await files.readFile(id, CONFIG_PATH);
  ctx.check("content reads back", readBack === `${JSON.stringify(config, null, 2)}\n`);
  const entries = (await files.listDirectory(id, APP_DIR)).map((e) => e.name);
  ctx.check("no temporary file left beside it", entries.length === 1 && entries[0] === "config.json", entries.join(", "));
  ctx.print(`${CONFIG_PATH} (mode ${mode}): ${JSON.stringify(config)}`);
}

/** Step 4: write the Node HTTP server and have node check its syntax. */
export async function writeServer(run: DeployRun, ctx: StepContext): Promise<void> {
  const id = run.state.instanceId;
  ctx.update(`files.writeFileAtomic(${SERVER_PATH})`);
  await run.provider.files.writeFileAtomic(id, SERVER_PATH, SERVER_SOURCE, { mode: "644" });
  ctx.detail("path", SERVER_PATH);
  ctx.detail("bytes", Buffer.byteLength(SERVER_SOURCE));
  ctx.check("content reads back", (await run.provider.files.readFile(id, SERVER_PATH)) === SERVER_SOURCE);
  const syntax = await execIn(run, id, ["node", "--check", SERVER_PATH]);
  ctx.check("node --check accepts it", syntax.exit_code === 0, tail(syntax.stderr, 2).join(" | ") || "exit 0");
  ctx.print(`${SERVER_PATH}: ${Buffer.byteLength(SERVER_SOURCE)} bytes, reads ${CONFIG_PATH} at start-up`);
}

/** Step 5: start the server with PM2 in cluster mode. */
export async function startApp(run: DeployRun, ctx: StepContext): Promise<void> {
  const { processes } = run.provider;
  const config = processes
    .createProcess(APP_NAME)
    .script(SERVER_PATH)
    .cwd(APP_DIR)
    .env({ PORT: String(run.port), CONFIG_PATH, APP_ENV: "demo" })
    .instances(WORKERS)
    .execMode("cluster")
    .build();
  // Env names only: values are for the app, not for logs.
  ctx.detail("config", { ...config, env: Object.keys(config.env ?? {}) });
  ctx.update(`processes.start(${config.script}, cluster x${WORKERS})`);
  const workers = await processes.start(run.state.instanceId, config.script, config);
  ctx.detail("workers", workers);
  ctx.check(`${WORKERS} workers started`, workers.length === WORKERS, `${workers.length} workers`);
  ctx.check("all in cluster mode", workers.length > 0 && workers.every((w) => w.exec_mode === "cluster"), workers.map((w) => w.exec_mode).join(", "));
  ctx.print(`pm2 start ${SERVER_PATH} --name ${APP_NAME} -i ${WORKERS} (env PORT, CONFIG_PATH, APP_ENV)`);
}

/** Step 6: request the app from inside the VM until both workers answered. */
export async function checkHttp(run: DeployRun, ctx: StepContext): Promise<void> {
  ctx.update(`node -e "http.get('http://127.0.0.1:${run.port}/')" in the VM, until both workers answer`);
  const result = await probe(run, run.state.instanceId, WORKERS);
  ctx.detail("probe", result);
  const messages = new Set(result.responses.map((r) => r.body.message));
  const workers = new Set(result.responses.map((r) => r.body.worker));
  ctx.check("the app answers over HTTP inside the VM", result.ok, result.error ?? `${result.attempts} attempt(s), ${result.waitedMs} ms`);
  ctx.check("every answer is HTTP 200", result.responses.length > 0 && result.responses.every((r) => r.status === 200));
  ctx.check("it serves the config's message", messages.size === 1 && messages.has("Hello from the parent VM"), [...messages].join(", "));
  ctx.check("the env reached the app", result.responses.length > 0 && result.responses.every((r) => r.body.appEnv === "demo"));
  ctx.check(`${WORKERS} cluster workers answered`, workers.size === WORKERS, [...workers].join(", "));
  ctx.print(...responseLines(run, result));
}

function renderProcesses(list: readonly ProcessInfo[]): string[] {
  return renderTable(
    ["name", "pm2 id", "worker", "mode", "status", "pid", "restarts", "memory"],
    list.map((p) => [p.name, String(p.id), String(p.instance), p.exec_mode, p.status, String(p.pid ?? "-"), String(p.restarts), formatBytes(p.memory)]),
  );
}

/** Step 7: show the process list and the app's last log lines. */
export async function inspectApp(run: DeployRun, ctx: StepContext): Promise<void> {
  const { processes } = run.provider;
  const id = run.state.instanceId;
  const list = await processes.list(id);
  const app = list.filter((p) => p.name === APP_NAME);
  ctx.detail("processes", list);
  ctx.check(`${WORKERS} ${APP_NAME} workers online`, app.length === WORKERS && app.every((p) => p.status === "online"), app.map((p) => p.status).join(", "));
  const logs = await processes.logs(id, APP_NAME, 10);
  const outLines = tail(logs.out, 10);
  ctx.detail("logs", { out: outLines, err: tail(logs.err, 10) });
  ctx.check("logs show the workers serving", outLines.some((line) => line.includes("serving")), `${outLines.length} stdout line(s)`);
  ctx.print(...renderProcesses(list), `last log lines (${APP_NAME}):`, ...outLines.map((line) => `  | ${line}`));
}
