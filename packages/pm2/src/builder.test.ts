import { VMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { createProcess } from "./builder.js";

describe("createProcess", () => {
  it("builds the seed's example as a plain config", () => {
    const config = createProcess("my-app").script("/app/server.js").env({ NODE_ENV: "production" }).instances(4).build();
    expect(config).toEqual({ name: "my-app", script: "/app/server.js", env: { NODE_ENV: "production" }, instances: 4 });
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });

  it("maps every chain method to its PM2 ecosystem key", () => {
    const config = createProcess("full")
      .script("/app/w.js")
      .args(["--port", "1"])
      .cwd("/app")
      .env({ A: "1" })
      .env({ B: "2" })
      .instances("max")
      .execMode("cluster")
      .interpreter("node")
      .interpreterArgs(["--x"])
      .nodeArgs(["--max-old-space-size=256"])
      .autorestart(false)
      .maxMemoryRestart("200M")
      .maxRestarts(5)
      .minUptime("5s")
      .restartDelay(100)
      .expBackoffRestartDelay(50)
      .killTimeout(3000)
      .cronRestart("0 * * * *")
      .watch(["/app/src"])
      .time(true)
      .mergeLogs(true)
      .namespace("backend")
      .waitReady(true, 8000)
      .build();
    expect(config).toEqual({
      name: "full",
      script: "/app/w.js",
      args: ["--port", "1"],
      cwd: "/app",
      env: { A: "1", B: "2" },
      instances: "max",
      exec_mode: "cluster",
      interpreter: "node",
      interpreter_args: ["--x"],
      node_args: ["--max-old-space-size=256"],
      autorestart: false,
      max_memory_restart: "200M",
      max_restarts: 5,
      min_uptime: "5s",
      restart_delay: 100,
      exp_backoff_restart_delay: 50,
      kill_timeout: 3000,
      cron_restart: "0 * * * *",
      watch: ["/app/src"],
      time: true,
      merge_logs: true,
      namespace: "backend",
      wait_ready: true,
      listen_timeout: 8000,
    });
  });

  it("is immutable: branching a chain does not leak between branches", () => {
    const base = createProcess("b").script("/a.js");
    const one = base.instances(2).build();
    expect(base.build()).toEqual({ name: "b", script: "/a.js" });
    expect(one.instances).toBe(2);
  });

  it("validates the name at once and the rest at build()", () => {
    expect(() => createProcess("all")).toThrow(VMError);
    expect(() => createProcess("x").build()).toThrow(/no script/);
    expect(() => createProcess("x").script("/a.js").instances(0).build()).toThrow(VMError);
    expect(() => createProcess("x").script("/a.js").maxMemoryRestart("much").build()).toThrow(VMError);
    expect(() => createProcess("x").script("/a.js").env({ "NOT VALID": "secret-value" }).build()).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.not.stringContaining("secret-value") as unknown }),
    );
  });
});
