import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ExecFunction, ProcessInfo, VMProcessService } from "@vm/core";
import { DEFAULT_PM2_HOME, PM2_RESURRECT_SCRIPT, createPM2ProcessService, createProcess, pm2Save } from "@vm/pm2";
import { isVMError } from "@vm/provider-kit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { docker, dockerExec, removeContainer, sh, startContainer } from "./docker-exec.js";

// Real pm2 (the base image's /usr/local/bin/pm2) in a real container, reached only through exec.

const SERVER_JS = `
const http = require("node:http");
const port = Number(process.env.PORT || 8080);
http.createServer((req, res) => res.end(JSON.stringify({ msg: process.env.MSG || "", instance: process.env.NODE_APP_INSTANCE }))).listen(port, () => {
  console.log("listening on " + port);
  console.error("stderr hello");
});
`;
const CRASH_JS = `console.log("booting"); console.error("dying"); process.exit(3);\n`;
const DUMP_JS = `
const pick = {};
for (const k of Object.keys(process.env)) if (k.startsWith("H_")) pick[k] = process.env[k];
console.log(JSON.stringify({ env: pick, argv: process.argv.slice(2) }));
setInterval(() => {}, 1 << 30);
`;

// The README's first ts block, written next to this file and imported: the example that runs is the one users read.
async function loadReadmeExample(): Promise<{ example: (exec: ExecFunction, instanceId: string) => Promise<{ list: ProcessInfo[]; logs: { out: string; err: string } }> }> {
  const readme = await readFile(join(import.meta.dirname, "..", "README.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!code) throw new Error("README.md has no ts example");
  const file = join(import.meta.dirname, `.readme-example-${process.pid}.ts`);
  await writeFile(file, code);
  try {
    return (await import(pathToFileURL(file).href)) as Awaited<ReturnType<typeof loadReadmeExample>>;
  } finally {
    await rm(file, { force: true });
  }
}

const byName = (list: ProcessInfo[], name: string) => list.filter((p) => p.name === name);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(300);
    value = await read();
  }
  return value;
}

async function httpGet(id: string, port: number): Promise<string> {
  return sh(id, `node -e 'fetch("http://127.0.0.1:" + process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))' ${port}`);
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err: unknown = await promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
  if (!isVMError(err)) throw err;
  return { code: err.code, message: err.message };
}

describe("@vm/pm2 against real pm2 in a container", () => {
  let id = "";
  let processes: VMProcessService;

  beforeAll(async () => {
    id = await startContainer(inject("baseImage"));
    // Write the fixtures with argv (sh -c script name args…), never by splicing them into shell text.
    const write = await dockerExec(id, ["sh", "-c", 'mkdir -p /app && printf "%s" "$1" > /app/server.js && printf "%s" "$2" > /app/crash.js && printf "%s" "$3" > /app/dump.js', "w", SERVER_JS, CRASH_JS, DUMP_JS]);
    expect(write.exit_code).toBe(0);
    processes = createPM2ProcessService(dockerExec, { provider: "docker" });
  });

  afterAll(async () => {
    await removeContainer(id);
  });

  it("lists nothing on a fresh daemon (banner before the JSON) and stopAll/deleteAll succeed with nothing running", async () => {
    expect(await processes.list(id)).toEqual([]);
    await expect(processes.stopAll(id)).resolves.toBeUndefined();
    await expect(processes.deleteAll(id)).resolves.toBeUndefined();
    expect(await processes.list(id)).toEqual([]);
    // The daemon lives under the pinned PM2_HOME, not root's ~/.pm2.
    const home = await sh(id, `ls ${DEFAULT_PM2_HOME}; test ! -e /root/.pm2 && echo no-root-pm2`);
    expect(home).toContain("pm2.pid");
    expect(home).toContain("no-root-pm2");
  });

  it("runs a Node HTTP server: start (seed form), list, logs, restart, stop, delete", async () => {
    const started = await processes.start(id, "node", { name: "web", script: "/app/server.js", env: { PORT: "3000", MSG: "hello" } });
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ name: "web", exec_mode: "fork", instance: 0 });
    const online = await waitFor(() => processes.list(id), (l) => byName(l, "web")[0]?.status === "online");
    const web = byName(online, "web")[0]!;
    expect(web.pid).toBeGreaterThan(0);
    expect(web.uptime).toBeGreaterThanOrEqual(0);
    expect(web.memory).toBeGreaterThan(0);
    expect(web.restarts).toBe(0);
    expect(JSON.parse(await waitFor(() => httpGet(id, 3000).catch(() => ""), (t) => t.startsWith("{")))).toMatchObject({ msg: "hello" });

    const logs = await waitFor(() => processes.logs(id, "web", 10), (l) => l.err.length > 0);
    expect(logs).toEqual({ out: "listening on 3000", err: "stderr hello" });

    await processes.restart(id, "web");
    const restarted = await waitFor(() => processes.list(id), (l) => byName(l, "web")[0]?.status === "online" && byName(l, "web")[0]?.restarts === 1);
    expect(byName(restarted, "web")[0]!.pid).not.toBe(web.pid);
    expect((await waitFor(() => processes.logs(id, "web", 2), (l) => l.out.split("\n").length === 2)).out).toBe("listening on 3000\nlistening on 3000");

    await processes.stop(id, "web");
    const stopped = byName(await processes.list(id), "web")[0]!;
    expect(stopped).toMatchObject({ status: "stopped", pid: null, uptime: null });

    await processes.delete(id, stopped.id); // by numeric id
    expect(byName(await processes.list(id), "web")).toEqual([]);
  });

  it("runs a shell loop given as text and returns exactly the last N log lines", async () => {
    const [loop] = await processes.start(id, 'i=0; while true; do i=$((i+1)); echo "tick $i"; echo "warn $i" >&2; sleep 0.2; done', { name: "loop" });
    expect(loop).toMatchObject({ name: "loop", status: "online" });
    const logs = await waitFor(() => processes.logs(id, "loop", 5), (l) => l.out.split("\n").length === 5 && l.err.split("\n").length === 5);
    const ticks = logs.out.split("\n");
    expect(ticks).toHaveLength(5);
    ticks.forEach((line) => expect(line).toMatch(/^tick \d+$/)); // no PM2 prefixes or headers
    const numbers = ticks.map((line) => Number(line.slice(5)));
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i)); // consecutive: the tail, not a sample
    expect(logs.err.split("\n").every((line) => /^warn \d+$/.test(line))).toBe(true);
    expect((await processes.logs(id, loop!.id, 1)).out).toMatch(/^tick \d+$/);

    await processes.restart(id, "loop");
    expect(byName(await processes.list(id), "loop")[0]).toMatchObject({ status: "online", restarts: 1 });
    await processes.stop(id, "loop");
    expect(byName(await processes.list(id), "loop")[0]).toMatchObject({ status: "stopped", pid: null });
    await processes.delete(id, "loop");
    expect(byName(await processes.list(id), "loop")).toEqual([]);
  });

  it("a crashing script counts restarts, then is errored (autorestart) or stopped (no autorestart)", async () => {
    await processes.start(id, "/app/crash.js", { name: "crash", max_restarts: 3, min_uptime: 60_000 });
    const errored = await waitFor(() => processes.list(id), (l) => byName(l, "crash")[0]?.status === "errored");
    expect(byName(errored, "crash")[0]).toMatchObject({ status: "errored", pid: null, uptime: null });
    expect(byName(errored, "crash")[0]!.restarts).toBeGreaterThanOrEqual(2);
    const logs = await processes.logs(id, "crash", 100);
    expect(logs.out.split("\n").length).toBeGreaterThanOrEqual(3);
    expect(new Set(logs.out.split("\n"))).toEqual(new Set(["booting"]));
    expect(new Set(logs.err.split("\n"))).toEqual(new Set(["dying"]));

    await processes.start(id, "/app/crash.js", { name: "crash-once", autorestart: false });
    const stopped = await waitFor(() => processes.list(id), (l) => byName(l, "crash-once")[0]?.status === "stopped");
    expect(byName(stopped, "crash-once")[0]).toMatchObject({ status: "stopped", restarts: 0, pid: null });

    await processes.restart(id, "crash-once");
    await processes.stop(id, "crash");
    expect(byName(await processes.list(id), "crash")[0]!.status).toBe("stopped");
    await processes.delete(id, "crash");
    await processes.delete(id, "crash-once");
    expect((await processes.list(id)).filter((p) => p.name.startsWith("crash"))).toEqual([]);
  });

  it("cluster mode: .instances(4) runs 4 workers; restart keeps the name; delete removes every worker", async () => {
    const config = processes.createProcess("cluster-app").script("/app/server.js").env({ PORT: "3100", MSG: "clustered" }).instances(4).build();
    const workers = await processes.start(id, config.script, config);
    expect(workers).toHaveLength(4);
    expect(workers.map((w) => w.exec_mode)).toEqual(["cluster", "cluster", "cluster", "cluster"]);
    expect(workers.map((w) => w.instance)).toEqual([0, 1, 2, 3]);
    await waitFor(() => processes.list(id), (l) => byName(l, "cluster-app").filter((p) => p.status === "online").length === 4);
    expect(JSON.parse(await waitFor(() => httpGet(id, 3100).catch(() => ""), (t) => t.startsWith("{")))).toMatchObject({ msg: "clustered" });
    // merged logs: one file per stream for the whole app, so "last N lines" is exact
    const logs = await waitFor(() => processes.logs(id, "cluster-app", 4), (l) => l.out.split("\n").length === 4);
    expect(logs.out.split("\n")).toEqual(Array(4).fill("listening on 3100"));

    await processes.restart(id, "cluster-app");
    const after = await waitFor(() => processes.list(id), (l) => byName(l, "cluster-app").every((p) => p.status === "online" && p.restarts === 1));
    expect(byName(after, "cluster-app")).toHaveLength(4);

    await processes.delete(id, "cluster-app");
    expect(byName(await processes.list(id), "cluster-app")).toEqual([]);
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
    await processes.start(id, "node", { name: "hostile", script: "/app/dump.js", env: hostile, args });
    const logs = await waitFor(() => processes.logs(id, "hostile", 1), (l) => l.out.startsWith("{"));
    expect(JSON.parse(logs.out)).toEqual({ env: hostile, argv: args });
    expect(await sh(id, "ls /tmp")).not.toContain("pwned");
    // Env values are secrets: list never returns them.
    expect(JSON.stringify(await processes.list(id))).not.toContain("touch");
    await processes.delete(id, "hostile");
  });

  it("starting a name that already runs replaces it, with the new env in effect", async () => {
    await processes.start(id, "node", { name: "replace-me", script: "/app/server.js", env: { PORT: "3200", MSG: "first" } });
    expect(JSON.parse(await waitFor(() => httpGet(id, 3200).catch(() => ""), (t) => t.includes("first")))).toMatchObject({ msg: "first" });
    const second = await processes.start(id, "node", { name: "replace-me", script: "/app/server.js", env: { PORT: "3200", MSG: "second" } });
    expect(second).toHaveLength(1);
    expect(byName(await processes.list(id), "replace-me")).toHaveLength(1);
    expect(JSON.parse(await waitFor(() => httpGet(id, 3200).catch(() => ""), (t) => t.includes("second")))).toMatchObject({ msg: "second" });
    await processes.delete(id, "replace-me");
  });

  it("unknown names and ids are NOT_FOUND; invalid names are INVALID_ARGUMENT before any exec", async () => {
    for (const call of [
      () => processes.stop(id, "nope"),
      () => processes.restart(id, "nope"),
      () => processes.delete(id, "nope"),
      () => processes.logs(id, "nope", 10),
      () => processes.stop(id, 9999),
      () => processes.delete(id, "9999"),
    ]) {
      expect((await rejection(call())).code).toBe("NOT_FOUND");
    }
    let calls = 0;
    const counting: ExecFunction = (...a) => {
      calls++;
      return dockerExec(...a);
    };
    const guarded = createPM2ProcessService(counting);
    for (const name of ["42", "all", "ALL", "", "  ", "a/b", "a\0b", "my app", "my_app", "1e3", "-flag"]) {
      expect((await rejection(guarded.start(id, "/app/server.js", { name }))).code).toBe("INVALID_ARGUMENT");
    }
    expect((await rejection(guarded.start(id, "/app/server.js", { name: "x", instances: 0 }))).code).toBe("INVALID_ARGUMENT");
    expect((await rejection(guarded.start(id, "/app/server.js", { name: "x", env: { "BAD NAME": "v" } }))).code).toBe("INVALID_ARGUMENT");
    expect(calls).toBe(0);
  });

  it("refuses a name whose log files would collide with a running process (case)", async () => {
    await processes.start(id, "sleep", { name: "Case-App", args: ["1000"] });
    expect((await rejection(processes.start(id, "sleep", { name: "case-app", args: ["1000"] }))).code).toBe("INVALID_ARGUMENT");
    await processes.delete(id, "Case-App");
  });

  it("one daemon: execs with a different HOME and env still see the same processes", async () => {
    const otherEnv: ExecFunction = (instanceId, argv, options) =>
      dockerExec(instanceId, argv, { ...options, env: { HOME: "/tmp", PM2_HOME: "/tmp/wrong", ...options?.env } });
    const other = createPM2ProcessService(otherEnv);
    await other.start(id, "sleep", { name: "shared", args: ["1000"] });
    expect(byName(await processes.list(id), "shared")).toHaveLength(1);
    await processes.delete(id, "shared");
    expect(byName(await other.list(id), "shared")).toEqual([]);
  });

  it("pm2Save + PM2_RESURRECT_SCRIPT bring processes back after the container restarts", async () => {
    await processes.start(id, "sleep", { name: "survivor", args: ["1000"] });
    await pm2Save(dockerExec, id);
    expect(await sh(id, `test -s "${DEFAULT_PM2_HOME}/dump.pm2" && echo saved`)).toContain("saved");
    // A restart kills every process but keeps the filesystem (stale pid file and sockets), as booting a snapshot does.
    expect((await docker(["restart", "-t", "1", id])).code).toBe(0);
    expect(await sh(id, "pgrep -f '^PM2 v' || echo no-daemon")).toContain("no-daemon");
    const resurrect = await dockerExec(id, ["sh", "-c", PM2_RESURRECT_SCRIPT]);
    expect(resurrect).toEqual({ stdout: "", stderr: "", exit_code: 0 });
    const back = await waitFor(() => processes.list(id), (l) => byName(l, "survivor")[0]?.status === "online");
    expect(byName(back, "survivor")[0]!.pid).toBeGreaterThan(0);
    await processes.deleteAll(id);
    expect(await processes.list(id)).toEqual([]);
  });

  it("runs the README example", async () => {
    const { example } = await loadReadmeExample();
    const result = await example(dockerExec, id);
    expect(byName(result.list, "my-app")).toHaveLength(4);
    expect(byName(result.list, "app")).toHaveLength(1);
    expect(typeof result.logs.out).toBe("string");
    await processes.deleteAll(id);
  });
});

describe("@vm/pm2 in a VM without pm2", () => {
  let id = "";
  beforeAll(async () => {
    id = await startContainer(inject("baseImage"));
    await sh(id, "mv /usr/local/bin/pm2 /usr/local/bin/pm2.disabled");
  });
  afterAll(async () => {
    await removeContainer(id);
  });

  it("rejects with UNSUPPORTED saying pm2 is not installed; pm2Save and the resurrect script are no-ops", async () => {
    const processes = createPM2ProcessService(dockerExec, { provider: "docker" });
    for (const call of [
      () => processes.list(id),
      () => processes.start(id, "sleep", { name: "x", args: ["1"] }),
      () => processes.stopAll(id),
      () => processes.stop(id, "x"),
    ]) {
      const err = await rejection(call());
      expect(err.code).toBe("UNSUPPORTED");
      expect(err.message).toMatch(/pm2 is not installed in the VM/);
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
