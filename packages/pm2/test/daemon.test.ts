// Real pm2 in a real container: one daemon, save/resurrect, the README example, and a VM without pm2.
import type { ExecFunction } from "@vm/core";
import { DEFAULT_PM2_HOME, createPM2ProcessService, createProcess, pm2Save } from "@vm/pm2";
import { PM2_RESURRECT_SCRIPT } from "@vm/pm2/internal";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { docker, dockerExec, removeContainer, sh, startContainer } from "./docker-exec.js";
import { SUITE_TIMEOUT, byName, loadReadmeExample, rejection, useContainer, waitFor } from "./helpers.js";

describe("@vm/pm2 daemon, snapshot and README against real pm2", { timeout: SUITE_TIMEOUT }, () => {
  const s = useContainer();

  it("one daemon: execs with a different HOME and a wrong PM2_HOME env still see the same processes", async () => {
    const otherEnv: ExecFunction = (instanceId, argv, options) =>
      dockerExec(instanceId, argv, { ...options, env: { ...options?.env, HOME: "/tmp", PM2_HOME: "/tmp/wrong" } });
    const other = createPM2ProcessService(otherEnv);
    await other.start(s.id, "sleep", { name: "shared", args: ["1000"] });
    expect(byName(await s.processes.list(s.id), "shared")).toHaveLength(1);
    await s.processes.delete(s.id, "shared");
    expect(byName(await other.list(s.id), "shared")).toEqual([]);
  });

  it("pm2Save + PM2_RESURRECT_SCRIPT bring processes back after the container restarts", async () => {
    await s.processes.start(s.id, "sleep", { name: "survivor", args: ["1000"] });
    await pm2Save(dockerExec, s.id);
    expect(await sh(s.id, `test -s "${DEFAULT_PM2_HOME}/dump.pm2" && echo saved`)).toContain("saved");
    // A restart kills every process but keeps the filesystem (stale pid file and sockets), as booting a snapshot does.
    expect((await docker(["restart", "-t", "1", s.id])).code).toBe(0);
    expect(await sh(s.id, "pgrep -f '^PM2 v' || echo no-daemon")).toContain("no-daemon");
    const resurrect = await dockerExec(s.id, ["sh", "-c", PM2_RESURRECT_SCRIPT]);
    expect(resurrect).toEqual({ stdout: "", stderr: "", exit_code: 0 });
    const back = await waitFor(() => s.processes.list(s.id), (l) => byName(l, "survivor")[0]?.status === "online");
    expect(byName(back, "survivor")[0]!.pid).toBeGreaterThan(0);
    await s.processes.deleteAll(s.id);
    expect(await s.processes.list(s.id)).toEqual([]);
  });

  it("runs the README example", async () => {
    const example = await loadReadmeExample();
    const result = await example(dockerExec, s.id);
    expect(byName(result.list, "my-app")).toHaveLength(4);
    expect(byName(result.list, "app")).toHaveLength(1);
    expect(typeof result.logs.out).toBe("string");
    await s.processes.deleteAll(s.id);
  });
});

describe("@vm/pm2 in a VM without pm2", { timeout: SUITE_TIMEOUT }, () => {
  let id = "";
  beforeAll(async () => {
    id = await startContainer(inject("baseImage"));
    await sh(id, "mv /usr/local/bin/pm2 /usr/local/bin/pm2.disabled");
  }, SUITE_TIMEOUT);
  afterAll(async () => {
    await removeContainer(id);
  }, SUITE_TIMEOUT);

  it("rejects with UNSUPPORTED saying pm2 is not on PATH; pm2Save and the resurrect script are no-ops", async () => {
    const processes = createPM2ProcessService(dockerExec, { provider: "docker" });
    for (const call of [
      () => processes.list(id),
      () => processes.start(id, "sleep", { name: "x", args: ["1"] }),
      () => processes.stopAll(id),
      () => processes.stop(id, "x"),
    ]) {
      const err = await rejection(call());
      expect(err.code).toBe("UNSUPPORTED");
      expect(err.message).toMatch(/^pm2 not found on PATH for user root /);
    }
    await expect(pm2Save(dockerExec, id)).resolves.toBeUndefined();
    expect((await dockerExec(id, ["sh", "-c", PM2_RESURRECT_SCRIPT])).exit_code).toBe(0);
  });
});

describe("the builder's output is what start() consumes", () => {
  it("createProcess(...).build() is a plain config", () => {
    expect(createProcess("my-app").script("/app/server.js").env({ NODE_ENV: "production" }).instances(4).build()).toEqual({
      name: "my-app",
      script: "/app/server.js",
      env: { NODE_ENV: "production" },
      instances: 4,
    });
  });
});
