import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ExecFunction, ExecOptions } from "@vm/core";
import { describe, expect, it } from "vitest";
import { SCENARIOS, SECRET, type RecordedCall, type ScenarioKit, type ScenarioName } from "./__fixtures__/scenarios.js";
import { DEFAULT_PM2_HOME } from "./constants.js";
import { DRIVER_SCRIPT } from "./driver.js";
import { createPM2ProcessService } from "./service.js";

// Replays pm2's real answers, recorded once from a container by test/record-fixtures.ts. The
// replaying exec also checks that every call is the one that was recorded, through the fixed
// driver, with PM2_HOME pinned.
function replay<N extends ScenarioName>(name: N) {
  const calls = JSON.parse(readFileSync(join(import.meta.dirname, "__fixtures__", `${name}.json`), "utf8")) as RecordedCall[];
  let next = 0;
  const exec: ExecFunction = async (instanceId, argv, options?: ExecOptions) => {
    expect(instanceId).toBe("vm-1");
    expect(argv.slice(0, 5)).toEqual(["/bin/sh", "-c", DRIVER_SCRIPT, "vm-pm2", DEFAULT_PM2_HOME]);
    expect(options?.stdin).toBeUndefined();
    expect(options?.env).toEqual({ PM2_HOME: DEFAULT_PM2_HOME });
    const call = calls[next++];
    if (!call) throw new Error(`unrecorded exec #${next}: ${JSON.stringify(argv.slice(5))}`);
    expect(argv.slice(5)).toEqual(call.args);
    return call.result;
  };
  const run = async (): Promise<Awaited<ReturnType<(typeof SCENARIOS)[N]>>> => {
    const scenario = SCENARIOS[name] as (kit: ScenarioKit) => Promise<Awaited<ReturnType<(typeof SCENARIOS)[N]>>>;
    const result = await scenario({ processes: createPM2ProcessService(exec, { provider: "docker" }), instanceId: "vm-1", pause: async () => {} });
    expect(next).toBe(calls.length);
    return result;
  };
  return { calls, run };
}

describe("recorded pm2: fresh daemon", () => {
  it("parses the list behind the daemon's banner and handles empty lists", async () => {
    const { calls, run } = replay("fresh");
    expect(calls[0]!.result.stdout).toContain("Spawning PM2 daemon");
    const result = await run();
    expect(result).toEqual({ firstList: [], stopAll: "resolved", deleteAll: "resolved", secondList: [] });
  });
});

describe("recorded pm2: lifecycle", () => {
  it("start, list, logs, stop, restart, NOT_FOUND, deleteAll", async () => {
    const { run } = replay("lifecycle");
    const r = await run();
    expect(r.started).toEqual([expect.objectContaining({ name: "web", status: "online", exec_mode: "fork", instance: 0, restarts: 0 })]);
    expect(r.loop[0]).toMatchObject({ name: "loop", exec_mode: "fork" });
    expect(r.listed.map((p) => [p.name, p.status])).toEqual([
      ["web", "online"],
      ["loop", "online"],
    ]);
    for (const p of r.listed) {
      expect(p.pid).toBeGreaterThan(0);
      expect(p.memory).toBeGreaterThan(0);
      expect(p.uptime).toBeGreaterThanOrEqual(0);
    }
    expect(r.webLogs).toEqual({ out: "listening", err: "warming up" });
    expect(r.loopLogs.out).toMatch(/^tick \d+\ntick \d+\ntick \d+$/);
    expect(r.afterStop.find((p) => p.name === "web")).toMatchObject({ status: "stopped", pid: null, uptime: null });
    expect(r.unknownStop).toEqual({ code: "NOT_FOUND", message: 'process "nope" not found' });
    expect(r.unknownId).toEqual({ code: "NOT_FOUND", message: "process id 4242 not found" });
    expect(r.missingScript).toMatchObject({ code: "NOT_FOUND" });
    expect(r.missingScript !== "resolved" && r.missingScript.message).toContain("Script not found: /nope/missing.js");
    expect(r.afterDeleteAll).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });
});

describe("recorded pm2: cluster", () => {
  it("4 workers in cluster mode, one merged log, delete removes all", async () => {
    const { run } = replay("cluster");
    const r = await run();
    expect(r.workers.map((w) => [w.name, w.exec_mode, w.instance])).toEqual([0, 1, 2, 3].map((i) => ["api", "cluster", i]));
    expect(r.listed.filter((p) => p.name === "api")).toHaveLength(4);
    expect(r.logs.out.split("\n")).toEqual(["listening", "listening", "listening", "listening"]);
    expect(r.afterDelete).toEqual([]);
  });
});

describe("recorded pm2: no pm2 in the VM", () => {
  it("is UNSUPPORTED with a message that says pm2 is not on PATH", async () => {
    const { run } = replay("noPm2");
    const r = await run();
    expect(r.list).toMatchObject({ code: "UNSUPPORTED", message: expect.stringMatching(/^pm2 not found on PATH for user root /) as unknown });
    expect(r.stopAll).toMatchObject({ code: "UNSUPPORTED" });
  });
});
