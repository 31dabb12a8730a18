import { strict as assert } from "node:assert";
import type { ProcessInfo } from "@vm/core";
import { eventually, expectVMError } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";
import { missingId } from "./util.js";

// Prints 50 numbered lines to stdout and 3 to stderr, then stays up.
const APP = `const worker = process.env.NODE_APP_INSTANCE ?? "0";
for (let i = 1; i <= 50; i++) console.log("line " + i + " worker " + worker + " greeting " + (process.env.GREETING ?? "none"));
for (let i = 1; i <= 3; i++) console.error("problem " + i);
setInterval(() => {}, 1000);
`;

async function app(ctx: CaseContext): Promise<{ id: string; script: string; name: string }> {
  const id = await ctx.sharedInstance();
  const dir = await ctx.scratchDir();
  const script = `${dir}/app.js`;
  await ctx.provider.files.writeFile(id, script, APP);
  const name = ctx.unique("vmc-app");
  ctx.track.add(`process ${name}`, () => ctx.provider.processes.delete(id, name));
  return { id, script, name };
}

async function mine(ctx: CaseContext, id: string, name: string): Promise<ProcessInfo[]> {
  return (await ctx.provider.processes.list(id)).filter((p) => p.name === name);
}

/**
 * PM2 process cases: the design's builder example, start/list/logs/restart/stop/delete,
 * stopAll/deleteAll, cluster mode and NOT_FOUND.
 */
export const processCases: readonly ConformanceCase[] = [
  {
    id: "processes.builder-example",
    title: "the design document's builder example builds the config and starts 4 workers",
    level: "MUST",
    needs: ["processes"],
    timeoutMs: 300_000,
    async run(ctx) {
      const { id, script, name } = await app(ctx);
      const config = ctx.provider.processes.createProcess(name).script(script).env({ NODE_ENV: "production" }).instances(4).build();
      assert.deepEqual(JSON.parse(JSON.stringify(config)), { name, script, env: { NODE_ENV: "production" }, instances: 4 }, "build() returns a plain config");
      const started = await ctx.provider.processes.start(id, config.script, config);
      assert.equal(started.length, 4, "start resolves with the 4 workers");
      const listed = await mine(ctx, id, name);
      assert.equal(listed.length, 4);
      assert.deepEqual(listed.map((p) => p.instance).sort(), [0, 1, 2, 3]);
      for (const p of listed) assert.ok(["online", "launching"].includes(p.status), `worker ${p.instance} is ${p.status}`);
    },
  },
  {
    id: "processes.builder-invalid",
    title: "build() without a script is INVALID_ARGUMENT; a bad name is rejected",
    level: "MUST",
    needs: ["processes"],
    async run(ctx) {
      await expectVMError(() => ctx.provider.processes.createProcess("no-script").build(), "INVALID_ARGUMENT");
      await expectVMError(() => ctx.provider.processes.createProcess("").script("/x.js").build(), "INVALID_ARGUMENT");
    },
  },
  {
    id: "processes.start-list-logs",
    title: "start (fork mode) lists the process online without env values; logs returns exactly the last N lines",
    level: "MUST",
    needs: ["processes"],
    timeoutMs: 300_000,
    async run(ctx) {
      const { id, script, name } = await app(ctx);
      const secret = ctx.unique("s3cret");
      const started = await ctx.provider.processes.start(id, "node", { name, script, env: { GREETING: "hello", VMC_SECRET: secret } });
      assert.equal(started.length, 1);
      const [p] = started as [ProcessInfo];
      assert.equal(p.name, name);
      assert.equal(p.exec_mode, "fork");
      assert.equal(typeof p.id, "number");
      const online = await eventually("process online", async () => {
        const [info] = await mine(ctx, id, name);
        return info?.status === "online" ? info : undefined;
      });
      assert.equal(typeof online.pid, "number");
      assert.ok(!JSON.stringify(await ctx.provider.processes.list(id)).includes(secret), "list() never includes env values");
      const logs = await eventually("50 log lines", async () => {
        const got = await ctx.provider.processes.logs(id, name, 5);
        return got.out.includes("line 50") && got.err.includes("problem 3") ? got : undefined;
      });
      assert.deepEqual(
        logs.out.trimEnd().split("\n"),
        [46, 47, 48, 49, 50].map((i) => `line ${i} worker 0 greeting hello`),
        "exactly the last 5 stdout lines, without PM2 prefixes",
      );
      assert.deepEqual((await ctx.provider.processes.logs(id, name, 2)).err.trimEnd().split("\n"), ["problem 2", "problem 3"]);
      const byId = await ctx.provider.processes.logs(id, online.id, 1);
      assert.equal(byId.out.trimEnd(), "line 50 worker 0 greeting hello", "logs accepts PM2's numeric id");
    },
  },
  {
    id: "processes.restart",
    title: "restart brings the process back online with a new pid or a higher restart count",
    level: "MUST",
    needs: ["processes"],
    timeoutMs: 300_000,
    async run(ctx) {
      const { id, script, name } = await app(ctx);
      await ctx.provider.processes.start(id, "node", { name, script });
      const before = await eventually("online", async () => (await mine(ctx, id, name)).find((p) => p.status === "online"));
      await ctx.provider.processes.restart(id, name);
      const after = await eventually("online again", async () => (await mine(ctx, id, name)).find((p) => p.status === "online" && (p.pid !== before.pid || p.restarts > before.restarts)));
      assert.ok(after.restarts > before.restarts || after.pid !== before.pid);
    },
  },
  {
    id: "processes.stop-delete",
    title: "stop leaves the process stopped with no pid; delete removes it (by name and by id)",
    level: "MUST",
    needs: ["processes"],
    timeoutMs: 300_000,
    async run(ctx) {
      const { id, script, name } = await app(ctx);
      await ctx.provider.processes.start(id, "node", { name, script });
      await ctx.provider.processes.stop(id, name);
      const stopped = await eventually("stopped", async () => (await mine(ctx, id, name)).find((p) => p.status === "stopped"));
      assert.equal(stopped.pid, null, "a stopped process has no pid");
      await ctx.provider.processes.delete(id, stopped.id);
      assert.deepEqual(await mine(ctx, id, name), []);
      await ctx.provider.processes.start(id, "node", { name, script });
      await ctx.provider.processes.delete(id, name);
      assert.deepEqual(await mine(ctx, id, name), []);
    },
  },
  {
    id: "processes.start-replaces",
    title: "starting a name that exists replaces it instead of adding a second process",
    level: "SHOULD",
    needs: ["processes"],
    timeoutMs: 300_000,
    async run(ctx) {
      const { id, script, name } = await app(ctx);
      await ctx.provider.processes.start(id, "node", { name, script });
      await ctx.provider.processes.start(id, "node", { name, script, env: { GREETING: "second" } });
      assert.equal((await mine(ctx, id, name)).length, 1);
    },
  },
  {
    id: "processes.cluster",
    title: "cluster mode starts the requested workers with distinct instance indexes",
    level: "MUST",
    needs: ["processes"],
    timeoutMs: 300_000,
    async run(ctx) {
      const { id, script, name } = await app(ctx);
      const started = await ctx.provider.processes.start(id, "node", { name, script, instances: 2, exec_mode: "cluster" });
      assert.equal(started.length, 2);
      const listed = await eventually("2 workers online", async () => {
        const ps = await mine(ctx, id, name);
        return ps.length === 2 && ps.every((p) => p.status === "online") ? ps : undefined;
      });
      assert.deepEqual(listed.map((p) => p.exec_mode), ["cluster", "cluster"]);
      assert.deepEqual(listed.map((p) => p.instance).sort(), [0, 1]);
      assert.notEqual(listed[0]!.pid, listed[1]!.pid);
    },
  },
  {
    id: "processes.stop-all-delete-all",
    title: "stopAll stops every process; deleteAll removes them",
    level: "MUST",
    needs: ["processes"],
    timeoutMs: 300_000,
    async run(ctx) {
      const vm = await ctx.boot();
      const dir = await ctx.scratchDir(vm.id);
      await ctx.provider.files.writeFile(vm.id, `${dir}/app.js`, APP);
      await ctx.provider.processes.start(vm.id, "node", { name: "vmc-one", script: `${dir}/app.js` });
      await ctx.provider.processes.start(vm.id, "node", { name: "vmc-two", script: `${dir}/app.js` });
      await ctx.provider.processes.stopAll(vm.id);
      const list = await ctx.provider.processes.list(vm.id);
      assert.equal(list.length, 2);
      assert.ok(list.every((p) => p.status === "stopped"), `all stopped: ${list.map((p) => p.status).join(",")}`);
      await ctx.provider.processes.deleteAll(vm.id);
      assert.deepEqual(await ctx.provider.processes.list(vm.id), []);
    },
  },
  {
    id: "processes.all-with-nothing-running",
    title: "list, stopAll and deleteAll succeed on an instance where nothing ever ran",
    level: "MUST",
    needs: ["processes"],
    timeoutMs: 300_000,
    async run(ctx) {
      const vm = await ctx.boot();
      assert.deepEqual(await ctx.provider.processes.list(vm.id), []);
      await ctx.provider.processes.stopAll(vm.id);
      await ctx.provider.processes.deleteAll(vm.id);
      assert.deepEqual(await ctx.provider.processes.list(vm.id), []);
    },
  },
  {
    id: "processes.not-found",
    title: "stop, restart, delete and logs of an unknown name are NOT_FOUND; an unknown instance too",
    level: "MUST",
    needs: ["processes"],
    timeoutMs: 300_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const { processes } = ctx.provider;
      const name = ctx.unique("vmc-missing");
      await expectVMError(() => processes.stop(id, name), "NOT_FOUND");
      await expectVMError(() => processes.restart(id, name), "NOT_FOUND");
      await expectVMError(() => processes.delete(id, name), "NOT_FOUND");
      await expectVMError(() => processes.logs(id, name), "NOT_FOUND");
      await expectVMError(() => processes.stop(id, 987654), "NOT_FOUND");
      await expectVMError(() => processes.list(missingId("instance")), "NOT_FOUND");
    },
  },
];
