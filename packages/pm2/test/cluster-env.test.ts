// Real pm2 in a real container: cluster mode, hostile input, replace-on-start, errors.
import type { ExecFunction } from "@vm/core";
import { DEFAULT_PM2_HOME, PM2_RESERVED_NAMES, createPM2ProcessService } from "@vm/pm2";
import { describe, expect, it } from "vitest";
import { dockerExec, sh } from "./docker-exec.js";
import { SUITE_TIMEOUT, byName, httpGet, rejection, useContainer, waitFor } from "./helpers.js";

describe("@vm/pm2 cluster, env and errors against real pm2", { timeout: SUITE_TIMEOUT }, () => {
  const s = useContainer();

  it("cluster mode: .instances(4) runs 4 workers; restart keeps the name; delete removes every worker", async () => {
    const config = s.processes.createProcess("cluster-app").script("/app/server.js").env({ PORT: "3100", MSG: "clustered" }).instances(4).build();
    const workers = await s.processes.start(s.id, config.script, config);
    expect(workers).toHaveLength(4);
    expect(workers.map((w) => w.exec_mode)).toEqual(["cluster", "cluster", "cluster", "cluster"]);
    expect(workers.map((w) => w.instance)).toEqual([0, 1, 2, 3]);
    await waitFor(() => s.processes.list(s.id), (l) => byName(l, "cluster-app").filter((p) => p.status === "online").length === 4);
    expect(JSON.parse(await waitFor(() => httpGet(s.id, 3100).catch(() => ""), (t) => t.startsWith("{")))).toMatchObject({ msg: "clustered" });
    // merged logs: one file per stream for the whole app, so "last N lines" is exact
    const logs = await waitFor(() => s.processes.logs(s.id, "cluster-app", 4), (l) => l.out.split("\n").length === 4);
    expect(logs.out.split("\n")).toEqual(Array(4).fill("listening on 3100"));

    await s.processes.restart(s.id, "cluster-app");
    const after = await waitFor(() => s.processes.list(s.id), (l) => byName(l, "cluster-app").every((p) => p.status === "online" && p.restarts === 1));
    expect(byName(after, "cluster-app")).toHaveLength(4);

    await s.processes.delete(s.id, "cluster-app");
    expect(byName(await s.processes.list(s.id), "cluster-app")).toEqual([]);
  });

  it("hostile env names/values and args arrive intact and inject nothing", async () => {
    const hostile = {
      H_SPACES: "  a b  c  ",
      H_QUOTES: `it's "double" \`back\` \\ backslash`,
      H_DOLLAR: "$HOME ${PATH} $(touch /tmp/pwned-env) `touch /tmp/pwned-env2` $$",
      H_NEWLINES: "line1\nline2\r\nline3\n",
      H_UNICODE: "ünïcödé 🚀 \u2028\u2029 中文 \u0007",
      H_BREAKOUT: `"}]}); require("child_process").execSync("touch /tmp/pwned-js"); ({"a":"`,
      H_EMPTY: "",
    };
    const args = Object.values(hostile);
    await s.processes.start(s.id, "node", { name: "hostile", script: "/app/dump.js", env: hostile, args });
    const logs = await waitFor(() => s.processes.logs(s.id, "hostile", 1), (l) => l.out.startsWith("{"));
    expect(JSON.parse(logs.out)).toEqual({ env: hostile, argv: args });
    expect(await sh(s.id, "ls /tmp")).not.toContain("pwned");
    // Env values are secrets: list never returns them.
    expect(JSON.stringify(await s.processes.list(s.id))).not.toContain("touch");
    await s.processes.delete(s.id, "hostile");
  });

  it("starting a name that already runs replaces it, with the new env in effect", async () => {
    await s.processes.start(s.id, "node", { name: "replace-me", script: "/app/server.js", env: { PORT: "3200", MSG: "first" } });
    expect(JSON.parse(await waitFor(() => httpGet(s.id, 3200).catch(() => ""), (t) => t.includes("first")))).toMatchObject({ msg: "first" });
    const second = await s.processes.start(s.id, "node", { name: "replace-me", script: "/app/server.js", env: { PORT: "3200", MSG: "second" } });
    expect(second).toHaveLength(1);
    expect(byName(await s.processes.list(s.id), "replace-me")).toHaveLength(1);
    expect(JSON.parse(await waitFor(() => httpGet(s.id, 3200).catch(() => ""), (t) => t.includes("second")))).toMatchObject({ msg: "second" });
    await s.processes.delete(s.id, "replace-me");
  });

  it("unknown names and ids are NOT_FOUND; invalid names are INVALID_ARGUMENT before any exec", async () => {
    for (const call of [
      () => s.processes.stop(s.id, "nope"),
      () => s.processes.restart(s.id, "nope"),
      () => s.processes.delete(s.id, "nope"),
      () => s.processes.logs(s.id, "nope", 10),
      () => s.processes.stop(s.id, 9999),
      () => s.processes.delete(s.id, "9999"),
    ]) {
      expect((await rejection(call())).code).toBe("NOT_FOUND");
    }
    let calls = 0;
    const counting: ExecFunction = (...a) => {
      calls++;
      return dockerExec(...a);
    };
    const guarded = createPM2ProcessService(counting);
    for (const name of ["42", "all", "ALL", "", "  ", "a/b", "a\0b", "my app", "my_app", "1e3", "-flag", ...PM2_RESERVED_NAMES]) {
      expect((await rejection(guarded.start(s.id, "/app/server.js", { name }))).code, name).toBe("INVALID_ARGUMENT");
    }
    // PM2 would set PORT to "{}" for a process named PORT.
    expect((await rejection(guarded.start(s.id, "/app/server.js", { name: "PORT", env: { PORT: "3000" } }))).message).toMatch(/is also one of its env names/);
    expect((await rejection(guarded.start(s.id, "/app/server.js", { name: "x", instances: 0 }))).code).toBe("INVALID_ARGUMENT");
    expect((await rejection(guarded.start(s.id, "/app/server.js", { name: "x", env: { "BAD NAME": "v" } }))).code).toBe("INVALID_ARGUMENT");
    expect(calls).toBe(0);
  });

  it("PM2 sets a field and a variable named after each process to \"{}\": every name a real pm2_env could lose that way is in PM2_RESERVED_NAMES", async () => {
    await s.processes.start(s.id, "/usr/bin/sleep", { name: "reserved-probe", args: ["600"], env: { PROBE_VAR: "1" } });
    const out = await sh(s.id, "pm2 jlist", { PM2_HOME: DEFAULT_PM2_HOME });
    const line = out.split("\n").findLast((l) => l.trim().startsWith("["));
    const list = JSON.parse(line ?? "[]") as { name: string; pm2_env: Record<string, unknown> }[];
    const env = list.find((p) => p.name === "reserved-probe")?.pm2_env ?? {};
    // The mechanism (PM2's module config, Modularizer.getAdditionalConf): a process named "args"
    // runs with args "{}", one named "PATH" with PATH="{}".
    expect(env["reserved-probe"]).toBe("{}");
    expect(env.PROBE_VAR).toBe("1");
    // Every field or inherited variable a process name could spell (PROBE_VAR is the call's own: start refuses that case).
    const spellable = Object.keys(env).filter((k) => /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(k) && k !== "reserved-probe");
    expect(spellable.length, "a real pm2_env has many such fields: the check is not vacuous").toBeGreaterThan(10);
    expect(spellable.filter((k) => !PM2_RESERVED_NAMES.has(k))).toEqual([]);
    await s.processes.delete(s.id, "reserved-probe");
  });

  it("refuses a name whose log files would collide with a running process (case)", async () => {
    await s.processes.start(s.id, "sleep", { name: "Case-App", args: ["1000"] });
    expect((await rejection(s.processes.start(s.id, "sleep", { name: "case-app", args: ["1000"] }))).code).toBe("INVALID_ARGUMENT");
    await s.processes.delete(s.id, "Case-App");
  });
});
