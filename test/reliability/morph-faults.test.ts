import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { VMProvider } from "@vm/core";
import { createMorphVMProvider } from "@vm/provider-morph";
import { BRANCH_KEY, MORPH_ENDPOINTS } from "@vm/provider-morph/internal";
import { isVMError } from "@vm/provider-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMorphEmulator, type ReliabilityEmulator } from "./morph-emulator.js";
import { codeOf, testImages } from "./support.js";

// Every endpoint the Morph provider calls (MORPH_ENDPOINTS), through every provider method
// that uses it, under every fault the emulator's switch can inject: 429 with Retry-After,
// 502/503/504, a reset before the work, a lost answer (reset after the work), latency past
// the call's timeout, and 429/503 that outlast the retry budget. Creates are counted in the
// emulator's request log and in Docker; commands are counted by their side effect in the VM.
// One emulator, one shared instance; short timeouts and Retry-After keep it quick.

const RETRY = { attempts: 3, baseDelayMs: 50, maxDelayMs: 1_000 };
const RETRY_AFTER_S = 0.2;
/** The impatient provider (latency cases): per-request timeout... */
const REQUEST_TIMEOUT_MS = 600;
/** ...and the deadline of its boot, fork and snapshot calls. */
const DEADLINE_MS = 1_000;
/** Injected latency: past both. */
const LATENCY_MS = 1_500;
/** The provider for every other case: timeouts that a loaded machine never reaches. */
// The calm provider's bounds: only there so nothing waits forever. An image removal behind a
// 429 took over 10 s at a load average of 50 on 2 cores, so they are wide.
const CALM = { timeoutMs: 30_000, execTimeoutMs: 30_000, deadlineMs: 60_000 };
/** Liveness: a call may end this much after its own limit ("did not hang", not a timing). */
const SLACK_MS = 20_000;

type Kind = "429" | "502" | "503" | "504" | "reset" | "lost-answer" | "latency" | "latency-within-deadline" | "429-persistent" | "503-persistent";
const TRANSIENT: readonly Kind[] = ["429", "502", "503", "504", "reset", "lost-answer", "latency"];
const PERSISTENT: readonly Kind[] = ["429-persistent", "503-persistent"];

type Endpoint = (typeof MORPH_ENDPOINTS)[number];
const key = (e: Pick<Endpoint, "method" | "path">) => `${e.method} ${e.path}`;

function faultOf(kind: Kind, endpoint: Endpoint): Record<string, unknown> & { count: number } {
  const match = { method: endpoint.method, path: `^${endpoint.path.replace(/\{[^}]+\}/g, "[^/]+")}$` };
  switch (kind) {
    case "429":
      return { ...match, kind: "status", status: 429, retryAfter: RETRY_AFTER_S, count: 1 };
    case "502":
    case "503":
    case "504":
      return { ...match, kind: "status", status: Number(kind), count: 1 };
    case "reset":
      return { ...match, kind: "drop", count: 1 };
    case "lost-answer":
      return { ...match, kind: "drop-after", count: 1 };
    case "latency":
    case "latency-within-deadline":
      return { ...match, kind: "delay", delayMs: LATENCY_MS, count: 1 };
    case "429-persistent":
      return { ...match, kind: "status", status: 429, retryAfter: RETRY_AFTER_S, count: RETRY.attempts };
    case "503-persistent":
      return { ...match, kind: "status", status: 503, count: RETRY.attempts };
  }
}

/** What a case saw, checked by its target's expectations. */
interface Outcome {
  kind: Kind;
  code: string;
  error: unknown;
  value: unknown;
  /** Requests to the faulted endpoint, not counting kill execs. */
  sent: number;
  /** Kill execs (`vm-kill`) the provider sent to stop a command it gave up on. */
  kills: number;
  label: string;
}

/** A provider method under test. `prepare` makes what one case needs and returns the call. */
interface Target {
  name: string;
  endpoint: string;
  class: "idempotent" | "create" | "exec";
  kinds: readonly Kind[];
  /** The call's own limit when it is not the impatient provider's request timeout or deadline. */
  latencyLimitMs?: number;
  prepare(label: string): Promise<{
    call: (provider: VMProvider) => Promise<unknown>;
    /** Checks the result and the state after it (latency settled), and cleans up. */
    check?: (outcome: Outcome) => Promise<void>;
  }>;
}

let emu: ReliabilityEmulator;
let calm: VMProvider;
let impatient: VMProvider;
let withinDeadline: VMProvider;
let snapshotId = "";
let vmId = "";

const stats = {
  calls: 0,
  faultsInjected: 0,
  byKind: {} as Record<string, number>,
  creates: { ok: 0, failedCleanly: 0, lateAfterTimeout: 0, duplicates: 0 },
  commands: { notRun: 0, ranOnce: 0, ranLateOnce: 0 },
  killedOnAbort: 0,
  killsAfterGivingUp: 0,
  maxOvershootMs: { timeouts: 0, all: Number.NEGATIVE_INFINITY },
  ms: 0,
};

beforeAll(async () => {
  emu = await startMorphEmulator(testImages());
  const common = { baseUrl: emu.apiUrl, apiKey: emu.apiKey, retry: RETRY };
  calm = createMorphVMProvider({ ...common, timeoutMs: CALM.timeoutMs, execTimeoutMs: CALM.execTimeoutMs, bootTimeoutMs: CALM.deadlineMs, snapshotTimeoutMs: CALM.deadlineMs });
  impatient = createMorphVMProvider({ ...common, timeoutMs: REQUEST_TIMEOUT_MS, execTimeoutMs: REQUEST_TIMEOUT_MS, bootTimeoutMs: DEADLINE_MS, snapshotTimeoutMs: DEADLINE_MS });
  // A request timeout shorter than the latency, a call deadline longer than it.
  withinDeadline = createMorphVMProvider({ ...common, timeoutMs: REQUEST_TIMEOUT_MS, execTimeoutMs: CALM.execTimeoutMs, bootTimeoutMs: CALM.deadlineMs, snapshotTimeoutMs: CALM.deadlineMs });
  // processes.list runs PM2 in this VM: the emulator's vm-base image has it (morphvm-minimal, like Morph's, has no Node or PM2).
  snapshotId = (await calm.snapshots.fromImage("vm-base", { metadata: { suite: "morph-faults" } })).id;
  vmId = (await calm.instances.boot(snapshotId, { metadata: { suite: "morph-faults" } })).id;
});

afterAll(async () => {
  console.log(`[reliability] morph-faults: ${JSON.stringify(stats)}`);
  await emu?.stop();
});

/** The limit a call must end within: its TIMEOUT for latency cases, its whole budget otherwise. */
function limitOf(target: Target, kind: Kind): number {
  if (kind === "latency") return target.latencyLimitMs ?? (target.class === "create" ? DEADLINE_MS : REQUEST_TIMEOUT_MS);
  const requestBudget = RETRY.attempts * (CALM.timeoutMs + RETRY.maxDelayMs);
  if (target.class === "create") return CALM.deadlineMs + requestBudget;
  if (target.class === "exec") return CALM.execTimeoutMs;
  return requestBudget;
}

async function runCase(target: Target, endpoint: Endpoint, kind: Kind): Promise<void> {
  const label = `${target.name}-${kind}-${randomUUID().slice(0, 8)}`;
  const prepared = await target.prepare(label);
  const fault = faultOf(kind, endpoint);
  const provider = kind === "latency" ? impatient : kind === "latency-within-deadline" ? withinDeadline : calm;
  await emu.clearRequests();
  await emu.faults([fault]);
  const started = performance.now();
  let code = "ok";
  let error: unknown;
  let value: unknown;
  try {
    value = await prepared.call(provider);
  } catch (err) {
    code = codeOf(err);
    error = err;
  }
  const elapsed = performance.now() - started;
  const left = await emu.pendingFaults();
  await emu.clearFaults();
  const logged = await emu.requests();
  // A kill goes to POST …/exec, also for a stream.
  const kills = logged.filter((r) => r.program === "vm-kill").length;
  const sent = logged.filter((r) => key({ method: r.method as Endpoint["method"], path: r.route }) === key(endpoint) && r.program !== "vm-kill").length;
  stats.calls++;
  stats.killsAfterGivingUp += kills;
  stats.faultsInjected += fault.count;
  stats.byKind[kind] = (stats.byKind[kind] ?? 0) + fault.count;
  const overshoot = Math.round(elapsed - limitOf(target, kind));
  stats.maxOvershootMs.all = Math.max(stats.maxOvershootMs.all, overshoot);
  if (code === "TIMEOUT") stats.maxOvershootMs.timeouts = Math.max(stats.maxOvershootMs.timeouts, overshoot);
  const where = `${target.name} under ${kind} (${code}, ${Math.round(elapsed)} ms, ${sent} request(s), ${kills} kill(s))`;
  // Every injected fault was really hit by this call.
  expect(left, `${where}: faults left unused`).toEqual([]);
  expect(elapsed, `${where}: did not end within its limit plus slack`).toBeLessThan(limitOf(target, kind) + SLACK_MS);
  const outcome: Outcome = { kind, code, error, value, sent, kills, label };
  try {
    expectByClass(target, outcome, where);
  } finally {
    await prepared.check?.(outcome);
  }
}

function expectByClass(target: Target, o: Outcome, where: string): void {
  if (o.code === "RATE_LIMITED") {
    // A 429 that ends a call carries the server's Retry-After, so a caller can honour it.
    expect(isVMError(o.error) && o.error.retryAfterMs, `${where}: retryAfterMs`).toBe(RETRY_AFTER_S * 1000);
  }
  if (target.class === "exec") {
    // Never re-sent, whatever happened.
    expect(o.sent, `${where}: an exec was re-sent`).toBe(1);
    // A call that gave up (TIMEOUT) kills what it started, or stops it from starting. An exec
    // sends no other kill; a stream that ended without an exit code may have started its command, so it kills it too.
    if (o.code === "TIMEOUT") expect(o.kills, `${where}: kill execs`).toBe(1);
    else if (target.name === "instances.execStream") expect(o.kills, `${where}: kill execs`).toBeLessThanOrEqual(1);
    else expect(o.kills, `${where}: kill execs`).toBe(0);
    const expected: Record<string, string> = { "429": "RATE_LIMITED", "502": "UNAVAILABLE", "503": "UNAVAILABLE", "504": "UNAVAILABLE", reset: "UNAVAILABLE" };
    if (expected[o.kind]) expect(o.code, where).toBe(expected[o.kind]);
    return;
  }
  const transient = ["429", "502", "503", "504", "reset", "lost-answer"].includes(o.kind);
  if (transient) {
    expect(o.code, where).toBe("ok");
    // An idempotent request is sent again; a create is sent again only after the look-up by
    // its marker found nothing (status and reset: the server did nothing), never after a lost answer.
    const again = target.class === "idempotent" || o.kind !== "lost-answer";
    expect(o.sent, where).toBe(again ? 2 : 1);
  } else if (o.kind === "latency") {
    expect(o.code, where).toBe("TIMEOUT");
    expect(o.sent, `${where}: re-sent after a timeout`).toBe(1);
  } else if (o.kind === "latency-within-deadline") {
    expect(o.code, where).toBe("ok");
    expect(o.sent, where).toBe(1);
  } else {
    expect(o.code, where).toBe(o.kind === "429-persistent" ? "RATE_LIMITED" : "UNAVAILABLE");
    expect(o.sent, `${where}: the retry budget`).toBe(RETRY.attempts);
  }
}

/** Polls `probe` until it returns something defined, up to `ms`. */
async function eventually<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > until) return value;
    await sleep(100);
  }
}

/** Lines a command appended to `file` in the shared VM (0 when it never ran). */
async function runs(file: string): Promise<number> {
  const { stdout } = await calm.instances.exec(vmId, ["bash", "-c", 'cat -- "$1" 2>/dev/null | wc -l', "count", file]);
  return Number(stdout.trim());
}

// ---------------------------------------------------------------- idempotent reads and writes

function idempotent(name: string, endpoint: string, prepare: Target["prepare"]): Target {
  return { name, endpoint, class: "idempotent", kinds: [...TRANSIENT, ...PERSISTENT], prepare };
}

// Instances that stop/terminate cases use up, booted in parallel batches.
const spare: string[] = [];
async function freshInstance(): Promise<string> {
  if (spare.length === 0) {
    const batch = await Promise.all(Array.from({ length: 9 }, () => calm.instances.boot(snapshotId, { metadata: { suite: "morph-faults-spare" } })));
    spare.push(...batch.map((i) => i.id));
  }
  return spare.pop()!;
}

/** True once the instance is gone (NOT_FOUND), undefined while it exists. */
async function instanceGone(id: string): Promise<true | undefined> {
  try {
    await calm.instances.get(id);
    return undefined;
  } catch (err) {
    if (isVMError(err) && err.code === "NOT_FOUND") return true;
    throw err;
  }
}

const targets: Target[] = [
  idempotent("images.list", "GET /image", async () => ({
    call: (p) => p.images.list(),
    check: async (o) => {
      if (o.code === "ok") expect((o.value as { id: string }[]).map((i) => i.id)).toContain("morphvm-minimal");
    },
  })),
  idempotent("images.get", "GET /image", async () => ({
    call: (p) => p.images.get("morphvm-minimal"),
  })),
  idempotent("snapshots.list", "GET /snapshot", async () => ({
    call: (p) => p.snapshots.list({ metadata: { suite: "morph-faults" } }),
    check: async (o) => {
      if (o.code === "ok") expect((o.value as { id: string }[]).map((s) => s.id)).toEqual([snapshotId]);
    },
  })),
  idempotent("snapshots.get", "GET /snapshot/{snapshot_id}", async () => ({
    call: (p) => p.snapshots.get(snapshotId),
  })),
  idempotent("instances.list", "GET /instance", async () => ({
    call: (p) => p.instances.list({ metadata: { suite: "morph-faults" } }),
  })),
  idempotent("instances.get", "GET /instance/{instance_id}", async () => ({
    call: (p) => p.instances.get(vmId),
    check: async (o) => {
      if (o.code === "ok") expect(o.value).toMatchObject({ id: vmId, status: "ready" });
    },
  })),
  idempotent("instances.stop", "POST /instance/{instance_id}/pause", async () => {
    const id = await freshInstance();
    return {
      call: (p) => p.instances.stop(id),
      check: async (o) => {
        // A late pause lands after the latency; either way the instance ends stopped or is still ready.
        if (o.code === "ok") expect((await calm.instances.get(id)).status).toBe("stopped");
        if (o.kind === "latency") expect(await eventually(async () => ((await calm.instances.get(id)).status === "stopped" ? true : undefined), LATENCY_MS + 10_000)).toBe(true);
        await calm.instances.terminate(id);
      },
    };
  }),
  // stop()'s first request marks the instance stopped; a stop that failed there never paused it.
  idempotent("instances.stop (mark)", "POST /instance/{instance_id}/metadata", async () => {
    const id = await freshInstance();
    return {
      call: (p) => p.instances.stop(id),
      check: async (o) => {
        if (o.code === "ok") expect((await calm.instances.get(id)).status).toBe("stopped");
        else expect((await calm.instances.get(id)).status).toBe("ready");
        await calm.instances.terminate(id);
      },
    };
  }),
  idempotent("instances.resume", "POST /instance/{instance_id}/resume", async () => {
    const id = await freshInstance();
    await calm.instances.pause(id);
    const ready = async () => ((await calm.instances.get(id)).status === "ready" ? true : undefined);
    return {
      call: (p) => p.instances.resume(id),
      check: async (o) => {
        if (o.code === "ok") expect(await ready()).toBe(true);
        if (o.kind === "latency") expect(await eventually(ready, LATENCY_MS + 10_000)).toBe(true);
        await calm.instances.terminate(id);
      },
    };
  }),
  idempotent("instances.expose", "POST /instance/{instance_id}/http", async (label) => {
    const name = `f-${label.slice(-8)}`;
    const listed = async () => (((await calm.instances.get(vmId)).services ?? []).some((s) => s.name === name) ? true : undefined);
    return {
      call: (p) => p.instances.expose(vmId, 8080, { name }),
      check: async (o) => {
        if (o.code === "ok") expect(await listed()).toBe(true);
        if (o.kind === "latency") expect(await eventually(listed, LATENCY_MS + 10_000)).toBe(true);
        await calm.instances.unexpose(vmId, name).catch(() => undefined);
      },
    };
  }),
  idempotent("instances.unexpose", "DELETE /instance/{instance_id}/http/{service_name}", async (label) => {
    const name = `f-${label.slice(-8)}`;
    await calm.instances.expose(vmId, 8080, { name });
    const gone = async () => (((await calm.instances.get(vmId)).services ?? []).some((s) => s.name === name) ? undefined : true);
    return {
      call: (p) => p.instances.unexpose(vmId, name),
      check: async (o) => {
        // A retried delete whose first attempt landed (a lost answer) is a success, not NOT_FOUND.
        if (o.code === "ok") expect(await gone()).toBe(true);
        if (o.kind === "latency") expect(await eventually(gone, LATENCY_MS + 10_000)).toBe(true);
        await calm.instances.unexpose(vmId, name).catch(() => undefined);
      },
    };
  }),
  idempotent("instances.terminate", "DELETE /instance/{instance_id}", async () => {
    const id = await freshInstance();
    const gone = () => instanceGone(id);
    return {
      call: (p) => p.instances.terminate(id),
      check: async (o) => {
        if (o.code === "ok") expect(await gone()).toBe(true);
        // The delete that timed out still lands once it is handled.
        if (o.kind === "latency") expect(await eventually(gone, LATENCY_MS + 10_000)).toBe(true);
        if (o.kind.endsWith("persistent")) await calm.instances.terminate(id);
      },
    };
  }),
  idempotent("snapshots.delete", "DELETE /snapshot/{snapshot_id}", async (label) => {
    const id = (await calm.snapshots.fromImage("morphvm-minimal", { metadata: { case: label } })).id;
    const gone = async () => ((await calm.snapshots.list({ metadata: { case: label } })).length === 0 ? true : undefined);
    return {
      call: (p) => p.snapshots.delete(id),
      check: async (o) => {
        if (o.code === "ok") expect(await gone()).toBe(true);
        if (o.kind === "latency") expect(await eventually(gone, LATENCY_MS + 10_000)).toBe(true);
        if (o.kind.endsWith("persistent")) await calm.snapshots.delete(id);
      },
    };
  }),
];

// ---------------------------------------------------------------- creates

/**
 * A create: exactly one resource per call, or none and a clear error. "Made" is counted by
 * the case's label through the API and by the emulator's containers and images in Docker.
 */
function create(
  name: string,
  endpoint: string,
  docker: { containers: number; images: number },
  make: (p: VMProvider, label: string) => Promise<{ id: string }>,
  made: (label: string) => Promise<string[]>,
  isReady: (id: string) => Promise<boolean>,
  remove: (id: string) => Promise<void>,
): Target {
  return {
    name,
    endpoint,
    class: "create",
    kinds: [...TRANSIENT, "latency-within-deadline", ...PERSISTENT],
    async prepare(label) {
      const before = await emu.dockerCounts();
      const expectDocker = async (n: number) => {
        expect(await emu.dockerCounts(), `${name}: Docker objects for ${n} create(s)`).toEqual({
          containers: before.containers + n * docker.containers,
          images: before.images + n * docker.images,
        });
      };
      return {
        call: (p) => make(p, label),
        async check(o) {
          let ids = await made(label);
          if (o.code === "ok") {
            expect(ids, `${name} under ${o.kind}: exactly the one it returned`).toEqual([(o.value as { id: string }).id]);
            stats.creates.ok++;
          } else if (o.kind === "latency") {
            // The request was delayed past the call's whole deadline, not lost: the server makes
            // the resource when it gets to it, after the caller got TIMEOUT (the known gap, counted).
            // Never a second one: the request log shows one POST.
            ids = (await eventually(async () => {
              const now = await made(label);
              return now.length > 0 ? now : undefined;
            }, LATENCY_MS + 3_000)) ?? [];
            for (const id of ids) expect(await eventually(async () => ((await isReady(id)) ? true : undefined), 30_000), `${name}: late ${id} ready`).toBe(true);
            ids = await made(label);
            expect(ids.length, `${name}: late creates after TIMEOUT`).toBeLessThanOrEqual(1);
            stats.creates.lateAfterTimeout += ids.length;
          } else {
            expect(ids, `${name} under ${o.kind}: nothing made`).toEqual([]);
            stats.creates.failedCleanly++;
          }
          if (ids.length > 1) stats.creates.duplicates += ids.length - 1;
          await expectDocker(ids.length);
          for (const id of ids) await remove(id);
          await expectDocker(0);
        },
      };
    },
  };
}

targets.push(
  create(
    "instances.boot",
    "POST /snapshot/{snapshot_id}/boot",
    { containers: 1, images: 0 },
    (p, label) => p.instances.boot(snapshotId, { metadata: { suite: "morph-faults-boot", case: label } }),
    async (label) => (await calm.instances.list({ metadata: { case: label } })).map((i) => i.id),
    async (id) => (await calm.instances.get(id)).status === "ready",
    (id) => calm.instances.terminate(id),
  ),
  create(
    "snapshots.fromImage",
    "POST /snapshot",
    { containers: 0, images: 1 },
    (p, label) => p.snapshots.fromImage("morphvm-minimal", { metadata: { case: label } }),
    async (label) => (await calm.snapshots.list({ metadata: { case: label } })).map((s) => s.id),
    async (id) => (await calm.snapshots.get(id)).status === "ready",
    (id) => calm.snapshots.delete(id),
  ),
  create(
    "snapshots.create",
    "POST /instance/{instance_id}/snapshot",
    { containers: 0, images: 1 },
    (p, label) => p.snapshots.create(vmId, { metadata: { case: label } }),
    async (label) => (await calm.snapshots.list({ metadata: { case: label } })).map((s) => s.id),
    async (id) => (await calm.snapshots.get(id)).status === "ready",
    (id) => calm.snapshots.delete(id),
  ),
  create(
    "instances.fork",
    "POST /instance/{instance_id}/branch",
    // Morph's branch makes a snapshot and the instance; the snapshot goes with the last fork.
    { containers: 1, images: 1 },
    async (p) => {
      const forks = await p.instances.fork(vmId, 1);
      expect(forks).toHaveLength(1);
      return forks[0]!;
    },
    async () => (await calm.instances.list({ metadata: { [BRANCH_KEY]: vmId } })).map((i) => i.id),
    async (id) => (await calm.instances.get(id)).status === "ready",
    (id) => calm.instances.terminate(id),
  ),
);

// ---------------------------------------------------------------- exec and what runs on it

/** A command that appends one line per run to its own file: how often it ran is counted in the VM. */
function command(label: string): { argv: string[]; file: string } {
  const file = `/tmp/morph-faults/${label}`;
  return { argv: ["bash", "-c", 'mkdir -p /tmp/morph-faults && echo ran >> "$1"', "cmd", file], file };
}

/**
 * How often the command ran: never on a refused or reset request, once on a lost answer or a
 * success, at most `late` times after a timeout (a delayed request may still be handled).
 */
async function expectRuns(o: Outcome, file: string, late: number): Promise<void> {
  // A late run happens once the delayed request is handled: wait for it, or the whole window when none may come.
  if (o.kind === "latency" && late > 0) await eventually(async () => ((await runs(file)) >= late ? true : undefined), LATENCY_MS + 1_000);
  else if (o.kind === "latency") await sleep(LATENCY_MS + 1_000 - REQUEST_TIMEOUT_MS);
  const n = await runs(file);
  if (o.kind === "latency") expect(n, `${o.label}: runs of the command`).toBeLessThanOrEqual(late);
  else expect(n, `${o.label}: runs of the command`).toBe(o.kind === "lost-answer" || o.code === "ok" ? 1 : 0);
  if (n === 0) stats.commands.notRun++;
  else if (o.kind === "latency") stats.commands.ranLateOnce++;
  else stats.commands.ranOnce++;
}

targets.push(
  {
    name: "instances.exec",
    endpoint: "POST /instance/{instance_id}/exec",
    class: "exec",
    kinds: TRANSIENT,
    async prepare(label) {
      const { argv, file } = command(label);
      return {
        call: (p) => p.instances.exec(vmId, argv),
        check: async (o) => {
          if (o.kind === "lost-answer") expect(o.code).toBe("UNAVAILABLE");
          if (o.kind === "latency") expect(o.code).toBe("TIMEOUT");
          // No signal, no timeoutMs: the HTTP timeout still gives the command a kill id, so a
          // request handled after the client gave up never runs it (before: it ran late, once).
          await expectRuns(o, file, 0);
        },
      };
    },
  },
  {
    name: "instances.execStream",
    endpoint: "POST /instance/{instance_id}/exec/sse",
    class: "exec",
    kinds: TRANSIENT,
    async prepare(label) {
      const { argv, file } = command(label);
      return {
        call: async (p) => {
          const chunks = [];
          for await (const chunk of p.instances.execStream(vmId, argv)) chunks.push(chunk);
          return chunks;
        },
        check: async (o) => {
          // The emulator does not drop a streamed answer (drop-after applies to JSON answers): it completes.
          if (o.kind === "lost-answer") expect(o.code).toBe("ok");
          if (o.kind === "latency") expect(o.code).toBe("TIMEOUT");
          // A stream always has a kill id: a timed-out request is cancelled before it starts.
          await expectRuns(o, file, 0);
        },
      };
    },
  },
  {
    name: "files.readFile",
    endpoint: "POST /instance/{instance_id}/exec",
    class: "exec",
    kinds: TRANSIENT,
    async prepare(label) {
      const path = `/tmp/morph-faults/read-${label}`;
      await calm.files.writeFileAtomic(vmId, path, "content\n", { createDirs: true });
      return {
        call: (p) => p.files.readFile(vmId, path),
        check: async (o) => {
          if (o.code === "ok") expect(o.value).toBe("content\n");
          if (o.kind === "lost-answer") expect(o.code).toBe("UNAVAILABLE");
          if (o.kind === "latency") expect(o.code).toBe("TIMEOUT");
        },
      };
    },
  },
  {
    name: "files.writeFileAtomic",
    endpoint: "POST /instance/{instance_id}/exec",
    class: "exec",
    kinds: TRANSIENT,
    async prepare(label) {
      const path = `/tmp/morph-faults/write-${label}`;
      await calm.files.writeFileAtomic(vmId, path, "old\n", { createDirs: true });
      return {
        call: (p) => p.files.writeFileAtomic(vmId, path, "new\n"),
        check: async (o) => {
          if (o.kind === "latency") await eventually(async () => ((await calm.files.readFile(vmId, path)) === "new\n" ? true : undefined), LATENCY_MS + 1_000);
          const now = await calm.files.readFile(vmId, path);
          // Refused or reset before the work: old; lost answer: new; late: either; never anything else.
          if (o.kind === "latency") expect(["old\n", "new\n"], o.label).toContain(now);
          else expect(now, o.label).toBe(o.kind === "lost-answer" || o.code === "ok" ? "new\n" : "old\n");
        },
      };
    },
  },
  {
    name: "processes.list",
    endpoint: "POST /instance/{instance_id}/exec",
    class: "exec",
    kinds: TRANSIENT,
    // PM2 calls carry their own 120 s limit (the HTTP request gets 15 s more).
    latencyLimitMs: 135_000,
    async prepare() {
      return {
        call: (p) => p.processes.list(vmId),
        check: async (o) => {
          // PM2 calls run with their own 120 s limit: the latency is under it.
          if (o.kind === "latency") expect(o.code).toBe("ok");
          if (o.kind === "lost-answer") expect(o.code).toBe("UNAVAILABLE");
        },
      };
    },
  },
);

describe("Morph faults through the emulator's fault switch", () => {
  it("covers every endpoint the provider calls", () => {
    const covered = new Set(targets.map((t) => t.endpoint));
    expect(MORPH_ENDPOINTS.map(key).filter((e) => !covered.has(e))).toEqual([]);
    for (const t of targets) expect(MORPH_ENDPOINTS.map(key)).toContain(t.endpoint);
  });

  for (const target of targets) {
    it(`${target.name} (${target.endpoint}): ${target.kinds.join(", ")}`, async () => {
      const started = performance.now();
      const endpoint = MORPH_ENDPOINTS.find((e) => key(e) === target.endpoint)!;
      for (const kind of target.kinds) await runCase(target, endpoint, kind);
      stats.ms += Math.round(performance.now() - started);
    });
  }
});

// ---------------------------------------------------------------- abort and timeout kill the command

/** Pids of processes in the shared VM whose argv is exactly `argv` (space-joined). */
async function running(argv: string): Promise<string[]> {
  const { stdout } = await calm.instances.exec(vmId, ["pgrep", "-fx", "--", argv]);
  return stdout.split("\n").filter(Boolean);
}

/** A sleep with a duration no other process has, to find it in the VM by its exact argv. */
function uniqueSleep(): string {
  return `sleep ${600 + Math.floor(Math.random() * 1_000_000) / 1000}`;
}

describe("an aborted or timed-out exec is killed in the VM (a second exec), not only dropped", () => {
  it("exec with timeoutMs and a signal: abort kills the command and what it started", async () => {
    const main = uniqueSleep();
    const orphan = uniqueSleep();
    const controller = new AbortController();
    // coreutils timeout (timeoutMs) moves the command to its own process group; setsid moves
    // the orphan to its own session: only VM_EXEC_ID finds both.
    const call = calm.instances.exec(vmId, ["bash", "-c", `setsid ${orphan} & exec ${main}`], { timeoutMs: 60_000, signal: controller.signal });
    expect(await eventually(async () => ((await running(main)).length > 0 && (await running(orphan)).length > 0 ? true : undefined), 15_000)).toBe(true);
    controller.abort();
    expect(await call.then(() => "ok", codeOf)).toBe("ABORTED");
    stats.calls++;
    // The call resolves after the kill exec: nothing is left by then.
    expect(await running(main)).toEqual([]);
    expect(await running(orphan)).toEqual([]);
    stats.killedOnAbort += 2;
  });

  it("execStream with timeoutMs: leaving the loop early kills the command", async () => {
    const main = uniqueSleep();
    let chunks = 0;
    for await (const chunk of calm.instances.execStream(vmId, ["bash", "-c", `echo started; exec ${main}`], { timeoutMs: 60_000 })) {
      chunks++;
      expect(chunk).toMatchObject({ type: "stdout", data: "started\n" });
      expect(await eventually(async () => ((await running(main)).length > 0 ? true : undefined), 15_000)).toBe(true);
      break;
    }
    stats.calls++;
    expect(chunks).toBe(1);
    expect(await running(main)).toEqual([]);
    stats.killedOnAbort++;
  });

  it("an exec aborted while its request was delayed never runs when the request arrives", async () => {
    const { argv, file } = command(`abort-delayed-${randomUUID().slice(0, 8)}`);
    await emu.faults([{ kind: "delay", delayMs: LATENCY_MS, method: "POST", path: "^/instance/[^/]+/exec$", count: 1 }]);
    stats.faultsInjected++;
    stats.byKind["latency"] = (stats.byKind["latency"] ?? 0) + 1;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    expect(await calm.instances.exec(vmId, argv, { signal: controller.signal }).then(() => "ok", codeOf)).toBe("ABORTED");
    stats.calls++;
    // The delayed request is handled after the kill exec left its cancel file: the wrapper exits 130.
    await sleep(LATENCY_MS + 1_000);
    expect(await emu.pendingFaults()).toEqual([]);
    expect(await runs(file)).toBe(0);
    stats.commands.notRun++;
  });
});

// ---------------------------------------------------------------- faults under concurrency

describe("Morph faults under concurrency: calls in parallel, faults landing on whichever request comes first", () => {
  it("12 parallel execs with 6 faults on exec: each call gets its own output, a failure's code matches its fault, nothing is re-sent or run twice", async () => {
    const kinds = ["429", "502", "503", "504", "reset", "lost-answer"] as const;
    const faults = kinds.map((kind) => faultOf(kind, MORPH_ENDPOINTS.find((e) => key(e) === "POST /instance/{instance_id}/exec")!));
    for (const kind of kinds) stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
    const commands = Array.from({ length: 12 }, (_, i) => {
      const c = command(`parallel-exec-${i}-${randomUUID().slice(0, 8)}`);
      // Prints its own file name: an answer given to the wrong call would show.
      return { ...c, argv: ["bash", "-c", 'mkdir -p /tmp/morph-faults && echo ran >> "$1" && printf %s "$1"', "cmd", c.file] };
    });
    await emu.clearRequests();
    await emu.faults(faults);
    const outcomes = await Promise.all(
      commands.map(async (c) => {
        try {
          const r = await calm.instances.exec(vmId, c.argv);
          return { code: "ok", stdout: r.stdout, exit: r.exit_code };
        } catch (err) {
          return { code: codeOf(err), stdout: "", exit: -1 };
        }
      }),
    );
    stats.calls += commands.length;
    stats.faultsInjected += faults.length;
    expect(await emu.pendingFaults(), "every fault was hit").toEqual([]);
    const sent = (await emu.requests()).filter((r) => key({ method: r.method as Endpoint["method"], path: r.route }) === "POST /instance/{instance_id}/exec").length;
    expect(sent, "one request per exec: none re-sent").toBe(commands.length);
    const failed = outcomes.filter((o) => o.code !== "ok").map((o) => o.code).sort();
    // 429 → RATE_LIMITED; 502, 503, 504, a reset and a lost answer → UNAVAILABLE.
    expect(failed).toEqual(["RATE_LIMITED", "UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE"]);
    let ranAfterFailure = 0;
    for (const [i, o] of outcomes.entries()) {
      const n = await runs(commands[i]!.file);
      if (o.code === "ok") {
        expect({ stdout: o.stdout, exit: o.exit, runs: n }, `exec ${i}`).toEqual({ stdout: commands[i]!.file, exit: 0, runs: 1 });
      } else {
        expect(n, `exec ${i} (${o.code}) ran at most once`).toBeLessThanOrEqual(1);
        ranAfterFailure += n;
      }
    }
    // Only the lost answer's command ran: the other faults came before the work.
    expect(ranAfterFailure).toBe(1);
    stats.commands.ranOnce += commands.length - 5;
    stats.commands.notRun += 5;
  });

  it("6 parallel atomic writes and 6 parallel reads with 6 faults on exec: every file is whole (old or new), every read its own file's content, no temp file is left", async () => {
    const kinds = ["429", "502", "503", "504", "reset", "lost-answer"] as const;
    const faults = kinds.map((kind) => faultOf(kind, MORPH_ENDPOINTS.find((e) => key(e) === "POST /instance/{instance_id}/exec")!));
    for (const kind of kinds) stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
    const dir = `/tmp/morph-faults/parallel-files-${randomUUID().slice(0, 8)}`;
    // Distinct sizes and bytes per file: content answered to the wrong call, or half written, would show.
    const files = Array.from({ length: 12 }, (_, i) => ({
      path: `${dir}/f${i}`,
      old: `old ${i} ${"o".repeat(1000 * (i + 1))}\n`,
      next: `new ${i} ${"n".repeat(1500 * (i + 1))}\n`,
      write: i % 2 === 0,
    }));
    for (const f of files) await calm.files.writeFileAtomic(vmId, f.path, f.old, { createDirs: true });
    await emu.clearRequests();
    await emu.faults(faults);
    const outcomes = await Promise.all(
      files.map(async (f) => {
        try {
          if (f.write) {
            await calm.files.writeFileAtomic(vmId, f.path, f.next);
            return { code: "ok", read: undefined };
          }
          return { code: "ok", read: await calm.files.readFile(vmId, f.path) };
        } catch (err) {
          return { code: codeOf(err), read: undefined };
        }
      }),
    );
    stats.calls += files.length;
    stats.faultsInjected += faults.length;
    expect(await emu.pendingFaults(), "every fault was hit").toEqual([]);
    // A small write and a read are one exec each, never re-sent.
    const sent = (await emu.requests()).filter((r) => key({ method: r.method as Endpoint["method"], path: r.route }) === "POST /instance/{instance_id}/exec" && r.program !== "vm-kill");
    expect(sent.length, "one request per call: none re-sent").toBe(files.length);
    expect(outcomes.filter((o) => o.code !== "ok").map((o) => o.code).sort()).toEqual(["RATE_LIMITED", "UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE"]);
    let newAfterFailure = 0;
    for (const [i, f] of files.entries()) {
      const o = outcomes[i]!;
      const now = await calm.files.readFile(vmId, f.path);
      if (!f.write) {
        expect(now, `${f.path}: a read leaves the file alone`).toBe(f.old);
        if (o.code === "ok") expect(o.read, `${f.path}: the read got its own file`).toBe(f.old);
      } else if (o.code === "ok") {
        expect(now, `${f.path}: a write that succeeded`).toBe(f.next);
      } else {
        expect([f.old, f.next], `${f.path}: a write that failed with ${o.code} left a whole version`).toContain(now);
        if (now === f.next) newAfterFailure++;
      }
    }
    // Only a lost answer's work was done; when it hit a write, that write's file is new.
    expect(newAfterFailure).toBeLessThanOrEqual(1);
    const left = await calm.instances.exec(vmId, ["sh", "-c", 'ls -A "$1" | grep -c vm-tmp || true', "sh", dir]);
    expect(left.stdout.trim(), "temp files left").toBe("0");
    await calm.files.deleteDirectory(vmId, dir);
  });

  it("6 parallel boots with 4 faults on boot: every boot succeeds with its own instance, none is made twice", async () => {
    const endpoint = MORPH_ENDPOINTS.find((e) => key(e) === "POST /snapshot/{snapshot_id}/boot")!;
    const kinds = ["429", "503", "reset", "lost-answer"] as const;
    const faults = kinds.map((kind) => faultOf(kind, endpoint));
    for (const kind of kinds) stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
    const labels = Array.from({ length: 6 }, (_, i) => `parallel-boot-${i}-${randomUUID().slice(0, 8)}`);
    await emu.faults(faults);
    const booted = await Promise.allSettled(labels.map((label) => calm.instances.boot(snapshotId, { metadata: { suite: "morph-faults-boot", case: label } })));
    stats.calls += labels.length;
    stats.faultsInjected += faults.length;
    expect(await emu.pendingFaults(), "every fault was hit").toEqual([]);
    try {
      expect(booted.map((b) => (b.status === "fulfilled" ? "ok" : codeOf(b.reason)))).toEqual(labels.map(() => "ok"));
      for (const [i, label] of labels.entries()) {
        const mine = (await calm.instances.list({ metadata: { case: label } })).map((x) => x.id);
        // The look-up by marker after a fault found this call's instance, not a neighbour's.
        expect(mine, label).toEqual([(booted[i] as PromiseFulfilledResult<{ id: string }>).value.id]);
      }
      stats.creates.ok += labels.length;
    } finally {
      for (const label of labels) for (const i of await calm.instances.list({ metadata: { case: label } })) await calm.instances.terminate(i.id);
    }
  });
});

// ---------------------------------------------------------------- answers cut or stalled mid-body

describe("Morph answers cut or stalled in the middle of the body", () => {
  const matching = (endpointKey: string) => {
    const endpoint = MORPH_ENDPOINTS.find((e) => key(e) === endpointKey)!;
    return { method: endpoint.method, path: `^${endpoint.path.replace(/\{[^}]+\}/g, "[^/]+")}$` };
  };
  const sentTo = async (endpointKey: string) => (await emu.requests()).filter((r) => key({ method: r.method as Endpoint["method"], path: r.route }) === endpointKey).length;
  const outcome = (p: Promise<unknown>) => p.then(() => "ok", codeOf);

  it("a cut body: an idempotent read is retried and succeeds, an exec is UNAVAILABLE and ran once, a boot is found by its marker (before: INTERNAL 'does not match the spec')", async () => {
    await emu.clearRequests();
    await emu.faults([{ ...matching("GET /instance/{instance_id}"), kind: "cut-body", count: 1 }]);
    expect(await outcome(calm.instances.get(vmId))).toBe("ok");
    expect(await sentTo("GET /instance/{instance_id}")).toBe(2);

    const { argv, file } = command(`cut-body-${randomUUID().slice(0, 8)}`);
    await emu.clearRequests();
    await emu.faults([{ ...matching("POST /instance/{instance_id}/exec"), kind: "cut-body", count: 1 }]);
    expect(await outcome(calm.instances.exec(vmId, argv))).toBe("UNAVAILABLE");
    expect(await sentTo("POST /instance/{instance_id}/exec")).toBe(1);
    expect(await runs(file)).toBe(1);

    const label = `cut-body-boot-${randomUUID().slice(0, 8)}`;
    await emu.clearRequests();
    await emu.faults([{ ...matching("POST /snapshot/{snapshot_id}/boot"), kind: "cut-body", count: 1 }]);
    const booted = await calm.instances.boot(snapshotId, { metadata: { suite: "morph-faults-boot", case: label } });
    expect(await sentTo("POST /snapshot/{snapshot_id}/boot"), "not re-sent: found by its marker").toBe(1);
    expect((await calm.instances.list({ metadata: { case: label } })).map((i) => i.id)).toEqual([booted.id]);
    await calm.instances.terminate(booted.id);
    expect(await emu.pendingFaults()).toEqual([]);
    stats.calls += 3;
    stats.faultsInjected += 3;
    stats.byKind["cut-body"] = (stats.byKind["cut-body"] ?? 0) + 3;
  });

  it("a stalled body: TIMEOUT at the request timeout when the stall is past it (before: no bound at all), success when it is within it", async () => {
    await emu.faults([{ ...matching("GET /instance/{instance_id}"), kind: "stall-body", delayMs: LATENCY_MS, count: 1 }]);
    const started = performance.now();
    // The impatient provider: 600 ms per request, no retry after a timeout.
    expect(await outcome(impatient.instances.get(vmId))).toBe("TIMEOUT");
    const elapsed = performance.now() - started;
    stats.maxOvershootMs.timeouts = Math.max(stats.maxOvershootMs.timeouts, Math.round(elapsed - REQUEST_TIMEOUT_MS));
    expect(elapsed, "did not hang").toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    await emu.faults([{ ...matching("GET /instance/{instance_id}"), kind: "stall-body", delayMs: LATENCY_MS, count: 1 }]);
    expect((await calm.instances.get(vmId)).id).toBe(vmId);
    expect(await emu.pendingFaults()).toEqual([]);
    stats.calls += 2;
    stats.faultsInjected += 2;
    stats.byKind["stall-body"] = (stats.byKind["stall-body"] ?? 0) + 2;
  });
});
