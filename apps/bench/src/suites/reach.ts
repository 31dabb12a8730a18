import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import type { VMProvider } from "@vm/core";
import type { BenchContext } from "../context.js";
import { rawExec } from "../docker-raw.js";
import type { CaseResult, SelfTimed, Variant } from "../harness.js";
import { runCase } from "../harness.js";
import type { Target } from "../target.js";
import type { ClientAnswer, ClientSpec } from "./reach-scripts.js";
import { pauseResumeExec, pauseResumeVariant } from "./pause-variant.js";
import { CLIENT_JS, SERVER_JS, START_SH } from "./reach-scripts.js";

const MIB = 1048576;
const OK_SHA256 = createHash("sha256").update("ok").digest("hex");

/** The service started in the VM: where it listens and the hash of the blob it serves. */
interface Service {
  pid: number;
  port: number;
  blobSha256: string;
}

function parseAnswers(stdout: string, where: string): ClientAnswer[] {
  try {
    return JSON.parse(stdout) as ClientAnswer[];
  } catch {
    throw new Error(`the client ${where} printed no answers: ${stdout.slice(0, 200)}`);
  }
}

/** The client run on this machine, in its own node process like the one in the VM. */
function clientOnHost(ctx: BenchContext, spec: ClientSpec): Promise<ClientAnswer[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", CLIENT_JS, "--", JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"] });
    ctx.children.add(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      ctx.children.delete(child);
      if (code === 0) resolve(parseAnswers(out, "on the host"));
      else reject(new Error(`the client on the host exited ${code}: ${err.slice(0, 300)}`));
    });
  });
}

/** The client run inside the VM (one exec; the exec's own cost is outside the times it reports). */
async function clientInVM(provider: VMProvider, id: string, spec: ClientSpec): Promise<ClientAnswer[]> {
  const r = await provider.instances.exec(id, ["node", "-e", CLIENT_JS, "--", JSON.stringify(spec)]);
  if (r.exit_code !== 0) throw new Error(`the client in the VM exited ${r.exit_code}: ${r.stderr.slice(0, 300)}`);
  return parseAnswers(r.stdout, "in the VM");
}

/** Every answer is a 200 with exactly the expected body. */
function checkAnswers(answers: ClientAnswer[] | undefined, count: number, bytes: number, sha256: string): void {
  if (!answers || answers.length !== count) throw new Error(`${answers?.length ?? 0} answers, expected ${count}`);
  for (const a of answers) {
    if (a.status !== 200) throw new Error(`HTTP ${a.status}`);
    if (a.bytes !== bytes || a.sha256 !== sha256) throw new Error(`wrong body: ${a.bytes} bytes, sha256 ${a.sha256.slice(0, 12)}…`);
  }
}

/** Two self-timed variants, the same client over the exposed URL (ours) and inside the VM (baseline). */
function clientVariants(ctx: BenchContext, provider: VMProvider, id: string, url: string, local: string, spec: Omit<ClientSpec, "url">, bytes: number, sha256: string): Variant[] {
  const side = (name: string, kind: "ours" | "baseline", call: () => Promise<ClientAnswer[]>): Variant => {
    let last: ClientAnswer[] | undefined;
    return {
      name,
      kind,
      selfTimed: true,
      counted: false,
      run: async (): Promise<SelfTimed> => {
        last = undefined;
        last = await call();
        return { samplesMs: last.map((a) => a.ms) };
      },
      verify: () => checkAnswers(last, spec.count, bytes, sha256),
    };
  };
  return [
    side("ours: exposed URL from the host", "ours", () => clientOnHost(ctx, { ...spec, url })),
    side("in the VM: 127.0.0.1", "baseline", () => clientInVM(provider, id, { ...spec, url: local })),
  ];
}

async function startService(provider: VMProvider, id: string, dir: string, blobBytes: number): Promise<Service> {
  await provider.instances.exec(id, ["mkdir", "-p", dir]);
  const r = await provider.instances.exec(id, ["bash", "-c", START_SH, "bash", SERVER_JS, `${dir}/ready`, String(blobBytes)], { timeoutMs: 60_000 });
  const [pid, port, blobSha256] = r.stdout.trim().split(" ");
  if (r.exit_code !== 0 || !pid || !port || !blobSha256) throw new Error(`the HTTP server did not start in the VM: ${r.stderr.slice(0, 200)}`);
  return { pid: Number(pid), port: Number(port), blobSha256 };
}

/**
 * Reaching the VM: a small GET through `expose()`'s URL (kept-alive connection, and a new
 * connection per request) and a large download, each against the same node client inside the
 * VM; and pause → resume → exec against raw dockerode pause/unpause/exec.
 *
 * @example
 * ```ts
 * const cases = await reachSuite(ctx, target);
 * ```
 */
export async function reachSuite(ctx: BenchContext, target: Target): Promise<CaseResult[]> {
  const { provider, instanceId: id, containerId } = target;
  if (!provider || !id) throw new Error("the reach group needs the Docker provider");
  const smoke = ctx.smoke;
  const blobBytes = (smoke ? 4 : 16) * MIB;
  const dir = `/tmp/vm-bench-reach-${ctx.runId}`;
  const service = await startService(provider, id, dir, blobBytes);
  const name = "bench-reach";
  const cases: CaseResult[] = [];
  try {
    const { url } = await provider.instances.expose(id, service.port, { name });
    const local = `http://127.0.0.1:${service.port}/`;
    const latency = (caseId: string, title: string, keepAlive: boolean, perRound: { warmup: number; count: number }) =>
      runCase(
        {
          id: caseId,
          group: "reach",
          title,
          metric: "latency",
          baseline: "in the VM: 127.0.0.1",
          warmup: smoke ? 0 : 1,
          reps: smoke ? 1 : 5,
          variants: clientVariants(ctx, provider, id, `${url}ok`, `${local}ok`, { keepAlive, ...perRound }, 2, OK_SHA256),
        },
        ctx.log,
      );
    ctx.log("reach: HTTP through the exposed URL");
    cases.push(await latency("reach.http-latency", "GET of 2 bytes, kept-alive connection", true, smoke ? { warmup: 3, count: 10 } : { warmup: 5, count: 40 }));
    cases.push(await latency("reach.http-connect", "GET of 2 bytes, new connection per request", false, smoke ? { warmup: 1, count: 4 } : { warmup: 2, count: 10 }));
    cases.push(
      await runCase(
        {
          id: "reach.http-throughput",
          group: "reach",
          title: `download of ${blobBytes / MIB} MiB`,
          metric: "throughput",
          bytes: blobBytes,
          baseline: "in the VM: 127.0.0.1",
          warmup: smoke ? 0 : 1,
          reps: smoke ? 1 : 8,
          variants: clientVariants(ctx, provider, id, `${url}blob`, `${local}blob`, { keepAlive: false, warmup: 0, count: 1 }, blobBytes, service.blobSha256),
        },
        ctx.log,
      ),
    );
  } finally {
    await provider.instances.unexpose(id, name).catch(() => undefined);
    await provider.instances.exec(id, ["sh", "-c", 'kill -9 "$1"; rm -rf "$2"', "sh", String(service.pid), dir]).catch(() => undefined);
  }
  ctx.log("reach: pause → resume → exec");
  cases.push(await pauseCase(ctx, provider, id, containerId));
  return cases;
}

/** Pause → resume → exec against the engine's own pause, unpause and exec on the same container. */
function pauseCase(ctx: BenchContext, provider: VMProvider, id: string, containerId: string): Promise<CaseResult> {
  const container = ctx.docker.getContainer(containerId);
  const rawVariant = pauseResumeVariant("raw dockerode pause + unpause + exec", "baseline", {
    pause: () => container.pause(),
    resume: () => container.unpause(),
    execTrue: async () => (await rawExec(ctx.docker, containerId, ["true"])).exitCode,
    checkRunning: async () => {
      const state = (await container.inspect()).State;
      if (!state.Running || state.Paused) throw new Error(`container ${state.Status} after unpause`);
    },
  });
  const rounds = ctx.smoke ? { warmup: 0, reps: 2 } : { warmup: 2, reps: 15 };
  const title = "pause → resume → exec `true`";
  return runCase({ id: "reach.pause-resume", group: "reach", title, metric: "latency", baseline: rawVariant.name, ...rounds, variants: [pauseResumeExec(provider, id), rawVariant] }, ctx.log);
}
