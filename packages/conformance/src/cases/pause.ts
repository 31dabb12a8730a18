import { strict as assert } from "node:assert";
import type { ProcessInfo } from "@vm/core";
import { eventually, expectVMError } from "../assertions.js";
import type { ConformanceCase } from "../types.js";
import { fetchWithin, startService } from "./reach-server.js";

// A background process and its start time (field 22 of /proc/<pid>/stat): the same pid with the
// same start time after resume is the same process, not a restart that reused the pid.
const START_SLEEPER = String.raw`setsid sleep 100000 >/dev/null 2>&1 < /dev/null &
pid=$!
for _ in $(seq 100); do [ -r "/proc/$pid/stat" ] && break; sleep 0.05; done
echo "$pid $(cut -d' ' -f22 "/proc/$pid/stat")"`;
const SAME_PROCESS = String.raw`[ "$(cut -d' ' -f22 "/proc/$1/stat" 2>/dev/null)" = "$2" ]`;

/**
 * Pause and resume: a paused instance keeps its processes and memory but runs no commands;
 * resume brings everything back as it was.
 */
export const pauseCases: readonly ConformanceCase[] = [
  {
    id: "instances.pause-resume",
    title: "pause makes the instance paused and exec and file calls CONFLICT; resume makes it ready with its processes as they were; both are idempotent, also concurrently",
    level: "MUST",
    needs: ["pause"],
    timeoutMs: 180_000,
    async run(ctx) {
      const vm = await ctx.boot();
      const { instances } = ctx.provider;
      const started = await instances.exec(vm.id, ["bash", "-c", START_SLEEPER]);
      const [pid, startTime] = started.stdout.trim().split(" ");
      assert.ok(pid && startTime, `the background process started: ${started.stdout} ${started.stderr}`);
      await instances.pause(vm.id);
      assert.equal((await instances.get(vm.id)).status, "paused", "get() says paused");
      assert.ok((await instances.list({ status: "paused" })).some((i) => i.id === vm.id), "list({ status: 'paused' }) finds it");
      await expectVMError(() => instances.exec(vm.id, ["true"]), "CONFLICT");
      await expectVMError(() => ctx.provider.files.readFile(vm.id, "/etc/hostname"), "CONFLICT");
      await instances.pause(vm.id);
      // Two at once: whichever the backend refuses ("not paused"), the state asked for holds.
      await Promise.all([instances.resume(vm.id), instances.resume(vm.id)]);
      assert.equal((await instances.get(vm.id)).status, "ready", "get() says ready after resume");
      await instances.resume(vm.id);
      const same = await instances.exec(vm.id, ["bash", "-c", SAME_PROCESS, "bash", pid, startTime]);
      assert.equal(same.exit_code, 0, `process ${pid} ran on across the pause (same pid, same start time)`);
    },
  },
  {
    id: "instances.pause-stopped-conflict",
    title: "pause and resume of a stopped instance are CONFLICT; of an unknown one NOT_FOUND",
    level: "MUST",
    needs: ["pause", "stop"],
    async run(ctx) {
      const vm = await ctx.boot();
      const { instances } = ctx.provider;
      await instances.stop(vm.id);
      await eventually("stopped", async () => ((await instances.get(vm.id)).status === "stopped" ? true : undefined), { timeoutMs: 60_000 });
      await expectVMError(() => instances.pause(vm.id), "CONFLICT");
      await expectVMError(() => instances.resume(vm.id), "CONFLICT");
      assert.equal((await instances.get(vm.id)).status, "stopped", "still stopped");
      await expectVMError(() => instances.pause("vmc-no-such-instance"), "NOT_FOUND");
      await expectVMError(() => instances.resume("vmc-no-such-instance"), "NOT_FOUND");
    },
  },
  {
    id: "instances.pause-keeps-app",
    title: "a PM2 app answers through its exposed URL after pause and resume, same pid, no restart",
    level: "MUST",
    needs: ["pause", "processes", "expose"],
    timeoutMs: 240_000,
    async run(ctx) {
      const vm = await ctx.boot();
      const { instances, processes } = ctx.provider;
      // The reach cases' service, started once by hand to learn its files, then run by PM2.
      const { port, pid: firstPid, dir } = await startService(ctx, vm.id);
      await instances.exec(vm.id, ["kill", "-9", String(firstPid)]);
      const name = ctx.unique("vmc-paused-app");
      await processes.start(vm.id, "node", { name, script: `${dir}/server.js`, args: [String(port), `${dir}/ready2`] });
      const online = await eventually("app online and listening", async () => {
        const [info] = (await processes.list(vm.id)).filter((p) => p.name === name);
        const ready = await instances.exec(vm.id, ["test", "-s", `${dir}/ready2`]);
        return info?.status === "online" && ready.exit_code === 0 ? info : undefined;
      });
      const service = await instances.expose(vm.id, port, { name: "vmc-app" });
      assert.equal(await (await fetchWithin(new URL("hello", service.url))).text(), `hello ${online.pid}`);
      await instances.pause(vm.id);
      await instances.resume(vm.id);
      const [after] = (await processes.list(vm.id)).filter((p) => p.name === name) as [ProcessInfo];
      assert.equal(after.pid, online.pid, "the same process");
      assert.equal(after.restarts, online.restarts, "not restarted");
      assert.equal(await (await fetchWithin(new URL("hello", service.url))).text(), `hello ${online.pid}`, "it answers after resume");
    },
  },
  {
    id: "instances.ttl-pause",
    title: "ttl_action pause pauses the instance after ttl_seconds with no client call; resume brings it back",
    level: "MUST",
    needs: ["ttlPause", "pause"],
    timeoutMs: 120_000,
    async run(ctx) {
      const vm = await ctx.boot({ ttl_seconds: 3, ttl_action: "pause" });
      assert.deepEqual(vm.ttl, { seconds: 3, action: "pause" }, "the instance reports its TTL");
      await eventually("TTL pause", async () => ((await ctx.provider.instances.get(vm.id)).status === "paused" ? true : undefined), { timeoutMs: 90_000, intervalMs: 500 });
      await ctx.provider.instances.resume(vm.id);
      assert.equal((await ctx.provider.instances.exec(vm.id, ["echo", "back"])).stdout, "back\n");
    },
  },
];
