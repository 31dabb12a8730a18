// Real pm2 (the base image's /usr/local/bin/pm2) in a real container, reached only through exec.
import { DEFAULT_PM2_HOME } from "@vm/pm2";
import { describe, expect, it } from "vitest";
import { sh } from "./docker-exec.js";
import { SUITE_TIMEOUT, byName, httpGet, useContainer, waitFor } from "./helpers.js";

describe("@vm/pm2 lifecycle against real pm2", { timeout: SUITE_TIMEOUT }, () => {
  const s = useContainer();

  it("lists nothing on a fresh daemon (banner before the JSON) and stopAll/deleteAll succeed with nothing running", async () => {
    expect(await s.processes.list(s.id)).toEqual([]);
    await expect(s.processes.stopAll(s.id)).resolves.toBeUndefined();
    await expect(s.processes.deleteAll(s.id)).resolves.toBeUndefined();
    expect(await s.processes.list(s.id)).toEqual([]);
    // The daemon lives under the pinned PM2_HOME, not root's ~/.pm2.
    const home = await sh(s.id, `ls ${DEFAULT_PM2_HOME}; test ! -e /root/.pm2 && echo no-root-pm2`);
    expect(home).toContain("pm2.pid");
    expect(home).toContain("no-root-pm2");
  });

  it("runs a Node HTTP server: start (seed form), list, logs, restart, stop, delete", async () => {
    const started = await s.processes.start(s.id, "node", { name: "web", script: "/app/server.js", env: { PORT: "3000", MSG: "hello" } });
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ name: "web", exec_mode: "fork", instance: 0 });
    const online = await waitFor(() => s.processes.list(s.id), (l) => byName(l, "web")[0]?.status === "online");
    const web = byName(online, "web")[0]!;
    expect(web.pid).toBeGreaterThan(0);
    expect(web.uptime).toBeGreaterThanOrEqual(0);
    expect(web.memory).toBeGreaterThan(0);
    expect(web.restarts).toBe(0);
    expect(JSON.parse(await waitFor(() => httpGet(s.id, 3000).catch(() => ""), (t) => t.startsWith("{")))).toMatchObject({ msg: "hello" });

    const logs = await waitFor(() => s.processes.logs(s.id, "web", 10), (l) => l.err.length > 0);
    expect(logs).toEqual({ out: "listening on 3000", err: "stderr hello" });

    await s.processes.restart(s.id, "web");
    const restarted = await waitFor(() => s.processes.list(s.id), (l) => byName(l, "web")[0]?.status === "online" && byName(l, "web")[0]?.restarts === 1);
    expect(byName(restarted, "web")[0]!.pid).not.toBe(web.pid);
    expect((await waitFor(() => s.processes.logs(s.id, "web", 2), (l) => l.out.split("\n").length === 2)).out).toBe("listening on 3000\nlistening on 3000");

    await s.processes.stop(s.id, "web");
    const stopped = byName(await s.processes.list(s.id), "web")[0]!;
    expect(stopped).toMatchObject({ status: "stopped", pid: null, uptime: null });

    await s.processes.delete(s.id, stopped.id); // by numeric id
    expect(byName(await s.processes.list(s.id), "web")).toEqual([]);
  });

  it("runs a shell loop given as text and returns exactly the last N log lines", async () => {
    const [loop] = await s.processes.start(s.id, 'i=0; while true; do i=$((i+1)); echo "tick $i"; echo "warn $i" >&2; sleep 0.2; done', { name: "loop" });
    expect(loop).toMatchObject({ name: "loop", status: "online" });
    const logs = await waitFor(() => s.processes.logs(s.id, "loop", 5), (l) => l.out.split("\n").length === 5 && l.err.split("\n").length === 5);
    const ticks = logs.out.split("\n");
    expect(ticks).toHaveLength(5);
    ticks.forEach((line) => expect(line).toMatch(/^tick \d+$/)); // no PM2 prefixes or headers
    const numbers = ticks.map((line) => Number(line.slice(5)));
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i)); // consecutive: the tail, not a sample
    expect(logs.err.split("\n").every((line) => /^warn \d+$/.test(line))).toBe(true);
    expect((await s.processes.logs(s.id, loop!.id, 1)).out).toMatch(/^tick \d+$/);

    await s.processes.restart(s.id, "loop");
    expect(byName(await s.processes.list(s.id), "loop")[0]).toMatchObject({ status: "online", restarts: 1 });
    await s.processes.stop(s.id, "loop");
    expect(byName(await s.processes.list(s.id), "loop")[0]).toMatchObject({ status: "stopped", pid: null });
    await s.processes.delete(s.id, "loop");
    expect(byName(await s.processes.list(s.id), "loop")).toEqual([]);
  });

  it("a crashing script counts restarts, then is errored (autorestart) or stopped (no autorestart)", async () => {
    await s.processes.start(s.id, "/app/crash.js", { name: "crash", max_restarts: 3, min_uptime: 60_000 });
    const errored = await waitFor(() => s.processes.list(s.id), (l) => byName(l, "crash")[0]?.status === "errored");
    expect(byName(errored, "crash")[0]).toMatchObject({ status: "errored", pid: null, uptime: null });
    expect(byName(errored, "crash")[0]!.restarts).toBeGreaterThanOrEqual(2);
    const logs = await s.processes.logs(s.id, "crash", 100);
    expect(logs.out.split("\n").length).toBeGreaterThanOrEqual(3);
    expect(new Set(logs.out.split("\n"))).toEqual(new Set(["booting"]));
    expect(new Set(logs.err.split("\n"))).toEqual(new Set(["dying"]));

    await s.processes.start(s.id, "/app/crash.js", { name: "crash-once", autorestart: false });
    const stopped = await waitFor(() => s.processes.list(s.id), (l) => byName(l, "crash-once")[0]?.status === "stopped");
    expect(byName(stopped, "crash-once")[0]).toMatchObject({ status: "stopped", restarts: 0, pid: null });

    await s.processes.restart(s.id, "crash-once");
    await s.processes.stop(s.id, "crash");
    expect(byName(await s.processes.list(s.id), "crash")[0]!.status).toBe("stopped");
    await s.processes.delete(s.id, "crash");
    await s.processes.delete(s.id, "crash-once");
    expect((await s.processes.list(s.id)).filter((p) => p.name.startsWith("crash"))).toEqual([]);
  });
});
