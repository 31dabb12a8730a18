import { AssertionError, strict as assert } from "node:assert";
import { isVMError } from "@vm/provider-kit";
import { MARKER_KEYS } from "../session.js";
import type { Capability, CaseContext, ConformanceCase } from "../types.js";
import { type ArgKind, type WrongValue, seededRandom, wrongValues } from "./wrong-values.js";

/** One argument of a method: its kind and a valid value for when another argument is fuzzed. */
interface Arg {
  kind: ArgKind;
  valid: () => unknown;
}

interface Method {
  name: string;
  needs: readonly Capability[];
  args: readonly Arg[];
  call: (...args: unknown[]) => unknown;
}

interface Fixture {
  id: string;
  dir: string;
  keep: string;
  sub: string;
  marker: Record<string, string>;
}

const opts = (options: Readonly<Record<string, ArgKind>>, strictKeys = true): ArgKind => ({ options, strictKeys });

const EXEC_OPTIONS = opts({ cwd: "string", env: "record", stdin: "content", timeoutMs: "integer", signal: "signal", user: "string" });
const BOOT_OPTIONS = opts({ ttl_seconds: "integer", ttl_action: "string", metadata: "record", timeoutMs: "integer", signal: "signal" });
const CREATE_OPTIONS = opts({ metadata: "record", digest: "string" });
const FILE_OPTIONS = opts({ signal: "signal", timeoutMs: "integer" });
const ATOMIC_OPTIONS = opts({ mode: "string", createDirs: "boolean", owner: "string", group: "string", signal: "signal", timeoutMs: "integer" });
// createDirectory's third argument: `recursive` as a boolean, or an options object.
const MKDIR_OPTIONS: ArgKind = { options: { recursive: "boolean", signal: "signal", timeoutMs: "integer" }, strictKeys: true, orBoolean: true };
const EXPOSE_OPTIONS = opts({ name: "string", auth: "string" });
const STREAM_LOGS_OPTIONS = opts({ signal: "signal" });
const START_OPTIONS = opts({ name: "string", script: "string", args: "argv", cwd: "string", env: "record", instances: "integer", autorestart: "boolean", max_restarts: "integer" });

// Valid values for the other fields when a random subset of them accompanies one wrong field.
const VALID_FIELDS: Readonly<Record<string, (f: Fixture) => unknown>> = {
  cwd: () => "/",
  env: () => ({ VMC_A: "1" }),
  timeoutMs: () => 60_000,
  signal: () => new AbortController().signal,
  ttl_seconds: () => 600,
  metadata: (f) => ({ ...f.marker }),
  digest: () => `vmc-types-${Math.random().toString(36).slice(2)}`,
  mode: () => "600",
  createDirs: () => true,
  name: () => "vmctypes",
  script: () => "/bin/sleep",
  args: () => ["600"],
  autorestart: () => false,
};

function methods(ctx: CaseContext, f: Fixture): Method[] {
  const p = ctx.provider;
  const id: Arg = { kind: "string", valid: () => f.id };
  const str = (valid: string): Arg => ({ kind: "string", valid: () => valid });
  const path = (valid: string): Arg => ({ kind: "string", valid: () => valid });
  const fileOptions: Arg = { kind: FILE_OPTIONS, valid: () => undefined };
  const m = (name: string, needs: readonly Capability[], args: readonly Arg[], call: (...a: unknown[]) => unknown): Method => ({ name, needs, args, call });
  const fresh = `${f.dir}/new`;
  const process = "vmc-types-none";
  return [
    m("instances.boot", [], [str(ctx.snapshotId), { kind: BOOT_OPTIONS, valid: () => ({ metadata: { ...f.marker } }) }], (a, b) => p.instances.boot(a as never, b as never)),
    m("instances.get", [], [id], (a) => p.instances.get(a as never)),
    m("instances.list", [], [{ kind: opts({ status: "statuses", metadata: "record" }), valid: () => undefined }], (a) => p.instances.list(a as never)),
    m("instances.stop", ["stop"], [id], (a) => p.instances.stop(a as never)),
    m("instances.terminate", [], [id], (a) => p.instances.terminate(a as never)),
    m("instances.fork", ["fork"], [id, { kind: "integer", valid: () => 1 }], (a, b) => p.instances.fork(a as never, b as never)),
    m("instances.exec", [], [id, { kind: "argv", valid: () => ["true"] }, { kind: EXEC_OPTIONS, valid: () => undefined }], (a, b, c) => p.instances.exec(a as never, b as never, c as never)),
    m("instances.execStream", ["execStream"], [id, { kind: "argv", valid: () => ["true"] }, { kind: EXEC_OPTIONS, valid: () => undefined }], (a, b, c) =>
      firstChunk(p.instances.execStream(a as never, b as never, c as never)),
    ),
    m("instances.pause", ["pause"], [id], (a) => p.instances.pause(a as never)),
    m("instances.resume", ["pause"], [id], (a) => p.instances.resume(a as never)),
    m("instances.expose", ["expose"], [id, { kind: "integer", valid: () => 8080 }, { kind: EXPOSE_OPTIONS, valid: () => undefined }], (a, b, c) => p.instances.expose(a as never, b as never, c as never)),
    m("instances.unexpose", ["expose"], [id, str("vmc-none")], (a, b) => p.instances.unexpose(a as never, b as never)),
    m("snapshots.get", ["snapshots"], [id], (a) => p.snapshots.get(a as never)),
    m("snapshots.list", [], [{ kind: opts({ metadata: "record", digest: "string" }), valid: () => undefined }], (a) => p.snapshots.list(a as never)),
    m("snapshots.create", ["snapshots"], [id, { kind: CREATE_OPTIONS, valid: () => ({ metadata: { ...f.marker } }) }], (a, b) => p.snapshots.create(a as never, b as never)),
    m("snapshots.delete", ["snapshots"], [id], (a) => p.snapshots.delete(a as never)),
    m("snapshots.fromImage", ["fromImage"], [str(ctx.imageId ?? "vmc-no-image"), { kind: CREATE_OPTIONS, valid: () => ({ metadata: { ...f.marker } }) }], (a, b) =>
      p.snapshots.fromImage(a as never, b as never),
    ),
    m("images.get", ["images"], [id], (a) => p.images.get(a as never)),
    m("files.readFile", [], [id, path(f.keep), fileOptions], (a, b, c) => p.files.readFile(a as never, b as never, c as never)),
    m("files.readFileBytes", [], [id, path(f.keep), fileOptions], (a, b, c) => p.files.readFileBytes(a as never, b as never, c as never)),
    m("files.writeFile", [], [id, path(fresh), { kind: "content", valid: () => "x" }, fileOptions], (a, b, c, d) => p.files.writeFile(a as never, b as never, c as never, d as never)),
    m("files.writeFileAtomic", [], [id, path(fresh), { kind: "content", valid: () => "x" }, { kind: ATOMIC_OPTIONS, valid: () => undefined }], (a, b, c, d) =>
      p.files.writeFileAtomic(a as never, b as never, c as never, d as never),
    ),
    m("files.copyFile", [], [id, path(f.keep), path(fresh), fileOptions], (a, b, c, d) => p.files.copyFile(a as never, b as never, c as never, d as never)),
    m("files.moveFile", [], [id, path(f.keep), path(fresh), fileOptions], (a, b, c, d) => p.files.moveFile(a as never, b as never, c as never, d as never)),
    m("files.deleteFile", [], [id, path(f.keep), fileOptions], (a, b, c) => p.files.deleteFile(a as never, b as never, c as never)),
    m("files.fileExists", [], [id, path(f.keep), fileOptions], (a, b, c) => p.files.fileExists(a as never, b as never, c as never)),
    m("files.createDirectory", [], [id, path(fresh), { kind: MKDIR_OPTIONS, valid: () => undefined }], (a, b, c) => p.files.createDirectory(a as never, b as never, c as never)),
    m("files.listDirectory", [], [id, path(f.dir), fileOptions], (a, b, c) => p.files.listDirectory(a as never, b as never, c as never)),
    m("files.isDirectory", [], [id, path(f.dir), fileOptions], (a, b, c) => p.files.isDirectory(a as never, b as never, c as never)),
    m("files.deleteDirectory", [], [id, path(f.sub), fileOptions], (a, b, c) => p.files.deleteDirectory(a as never, b as never, c as never)),
    m("processes.start", ["processes"], [id, str("/bin/sleep"), { kind: START_OPTIONS, valid: () => ({ name: "vmctypes", args: ["600"] }) }], (a, b, c) =>
      p.processes.start(a as never, b as never, c as never),
    ),
    ...(["stop", "restart", "delete"] as const).map((op) =>
      m(`processes.${op}`, ["processes"], [id, { kind: "nameOrId", valid: () => process }], (a, b) => p.processes[op](a as never, b as never)),
    ),
    m("processes.list", ["processes"], [id], (a) => p.processes.list(a as never)),
    m("processes.logs", ["processes"], [id, { kind: "nameOrId", valid: () => process }, { kind: "integer", valid: () => undefined }], (a, b, c) =>
      p.processes.logs(a as never, b as never, c as never),
    ),
    m("processes.streamLogs", ["processes"], [id, { kind: "nameOrId", valid: () => process }, { kind: STREAM_LOGS_OPTIONS, valid: () => undefined }], (a, b, c) =>
      firstChunk(p.processes.streamLogs(a as never, b as never, c as never)),
    ),
    m("processes.stopAll", ["processes"], [id], (a) => p.processes.stopAll(a as never)),
    m("processes.deleteAll", ["processes"], [id], (a) => p.processes.deleteAll(a as never)),
    m("processes.createProcess", ["processes"], [str("vmctypes")], (a) => p.processes.createProcess(a as never)),
  ];
}

/** execStream validates at the call; should one not, the first chunk is where it fails. */
async function firstChunk(stream: AsyncIterable<unknown>): Promise<unknown> {
  const it = stream[Symbol.asyncIterator]();
  try {
    return await it.next();
  } finally {
    await it.return?.();
  }
}

interface FuzzCall {
  method: Method;
  position: number;
  wrong: WrongValue;
}

/** Every method × argument position × wrong value, plus random mixes of one wrong option field with valid ones. */
function plan(all: readonly Method[], random: () => number, f: Fixture): { calls: FuzzCall[]; mixes: FuzzCall[] } {
  const calls: FuzzCall[] = [];
  const mixes: FuzzCall[] = [];
  for (const method of all) {
    method.args.forEach((arg, position) => {
      for (const wrong of wrongValues(arg.kind)) calls.push({ method, position, wrong });
      if (typeof arg.kind !== "object") return;
      const fields = Object.entries(arg.kind.options);
      for (let i = 0; i < 4; i++) {
        const [field, kind] = fields[Math.floor(random() * fields.length)]!;
        const bad = wrongValues(kind);
        const wrong = bad[Math.floor(random() * bad.length)]!;
        const others = fields.filter(([name]) => name !== field && VALID_FIELDS[name] && random() < 0.5).map(([name]) => name);
        if (field !== "metadata" && "metadata" in arg.kind.options && !others.includes("metadata")) others.push("metadata");
        mixes.push({
          method,
          position,
          wrong: {
            label: `{ ${[...others, field].join(", ")} } with ${field}: ${wrong.label}`,
            make: () => ({ ...Object.fromEntries(others.map((name) => [name, VALID_FIELDS[name]!(f)])), [field]: wrong.make() }),
          },
        });
      }
    });
  }
  return { calls, mixes };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

// A rejection happens before any request, in microseconds; a call still pending after this long
// is doing work (booting, committing). It is reported as such and not waited for.
const SETTLE_MS = 10_000;
// Stop after this many failures: a provider that accepts wrong types does real work for each one.
const MAX_FAILURES = 20;

async function attempt(call: FuzzCall): Promise<string | undefined> {
  const args = call.method.args.map((arg, i) => (i === call.position ? call.wrong.make() : arg.valid()));
  let timer: NodeJS.Timeout | undefined;
  try {
    const pending = Promise.resolve().then(() => call.method.call(...args));
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), SETTLE_MS)));
    const value = await Promise.race([pending, late]);
    if (value === "late") {
      pending.catch(() => undefined);
      return `still running after ${SETTLE_MS} ms: the call is doing work`;
    }
    return `resolved with ${typeof value}`;
  } catch (err) {
    if (isVMError(err) && err.code === "INVALID_ARGUMENT") return undefined;
    return isVMError(err) ? `VMError ${err.code}: ${err.message}` : `${(err as Error)?.name ?? typeof err}: ${String((err as Error)?.message ?? err)}`;
  } finally {
    clearTimeout(timer);
  }
}

async function ours(ctx: CaseContext): Promise<string[]> {
  const run = ctx.marker.metadata[MARKER_KEYS.run];
  const instances = (await ctx.provider.instances.list()).filter((i) => i.metadata?.[MARKER_KEYS.run] === run || i.snapshot_id === ctx.snapshotId);
  const snapshots = ctx.capabilities.snapshots || ctx.capabilities.fromImage ? await ctx.provider.snapshots.list({ metadata: { [MARKER_KEYS.run]: run! } }) : [];
  return [...instances.map((i) => `instance ${i.id}`), ...snapshots.map((s) => `snapshot ${s.id}`)].sort();
}

/**
 * The argument-type fuzz: every public method of every service, every argument position, wrong
 * types only, the other arguments valid.
 */
export const typeCases: readonly ConformanceCase[] = [
  {
    id: "types.wrong-argument-types",
    title: "a wrong type for any argument of any method is INVALID_ARGUMENT before any work (seeded fuzz; VMC_TYPES_SEED replays one)",
    level: "MUST",
    needs: [],
    timeoutMs: 180_000,
    async run(ctx) {
      const seed = process.env.VMC_TYPES_SEED ? Number(process.env.VMC_TYPES_SEED) : Math.floor(Math.random() * 2 ** 31);
      const random = seededRandom(seed);
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir(id);
      const f: Fixture = { id, dir, keep: `${dir}/keep`, sub: `${dir}/sub`, marker: { ...ctx.marker.metadata } };
      await ctx.provider.files.writeFile(id, f.keep, "keep");
      await ctx.provider.files.createDirectory(id, f.sub);
      const all = methods(ctx, f).filter((method) => method.needs.every((c) => ctx.capabilities[c]));
      const before = await ours(ctx);
      const processesBefore = ctx.capabilities.processes ? (await ctx.provider.processes.list(id)).map((p) => p.name) : [];
      const { calls, mixes } = plan(all, random, f);
      const failures: string[] = [];
      for (const call of shuffle([...calls, ...mixes], random)) {
        const wrong = await attempt(call);
        if (wrong) failures.push(`${call.method.name} argument ${call.position + 1} = ${call.wrong.label}: ${wrong}`);
        if (failures.length >= MAX_FAILURES) break;
      }
      const replay = `(seed ${seed}; replay with VMC_TYPES_SEED=${seed})`;
      if (failures.length > 0) {
        throw new AssertionError({ message: `wrong-typed calls that were not INVALID_ARGUMENT (stopped at ${MAX_FAILURES}; ${calls.length + mixes.length} planned) ${replay}:\n${failures.join("\n")}` });
      }
      // Nothing was done: no instance or snapshot, no file touched, no process started.
      const after = await ours(ctx);
      for (const leaked of after.filter((r) => !before.includes(r))) {
        const [type, leakedId] = leaked.split(" ") as [string, string];
        if (type === "instance") ctx.track.instance(leakedId);
        else ctx.track.snapshot(leakedId);
      }
      assert.deepEqual(after, before, `a rejected call created something ${replay}`);
      assert.deepEqual((await ctx.provider.files.listDirectory(id, dir)).map((e) => e.name).sort(), ["keep", "sub"], `files appeared or went ${replay}`);
      assert.equal(await ctx.provider.files.readFile(id, f.keep), "keep", `the kept file changed ${replay}`);
      if (ctx.capabilities.processes) assert.deepEqual((await ctx.provider.processes.list(id)).map((p) => p.name), processesBefore, `a process was started or removed ${replay}`);
      assert.ok(calls.length + mixes.length >= 700, `the fuzz made ${calls.length + mixes.length} calls; it should cover at least 700`);
    },
  },
  {
    id: "types.aborted-signal",
    title: "an already-aborted AbortSignal is ABORTED before any work (boot, exec, execStream)",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const before = await ours(ctx);
      const aborted = () => AbortSignal.abort(new Error("caller gave up"));
      const calls: [string, () => unknown][] = [
        ["instances.boot", () => ctx.provider.instances.boot(ctx.snapshotId, { signal: aborted(), metadata: { ...ctx.marker.metadata } })],
        ["instances.exec", () => ctx.provider.instances.exec(id, ["touch", "/tmp/vmc-types-aborted"], { signal: aborted() })],
        ...(ctx.capabilities.execStream ? [["instances.execStream", () => firstChunk(ctx.provider.instances.execStream(id, ["touch", "/tmp/vmc-types-aborted"], { signal: aborted() }))] as [string, () => unknown]] : []),
      ];
      for (const [name, call] of calls) {
        let outcome = "resolved";
        try {
          await call();
        } catch (err) {
          outcome = isVMError(err) ? err.code : `${(err as Error).name}: ${(err as Error).message}`;
        }
        assert.equal(outcome, "ABORTED", `${name} with an aborted signal`);
      }
      assert.deepEqual(await ours(ctx), before, "an aborted boot created something");
      assert.equal(await ctx.provider.files.fileExists(id, "/tmp/vmc-types-aborted"), false, "an aborted exec ran its command");
    },
  },
];
