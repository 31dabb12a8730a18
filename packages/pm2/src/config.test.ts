import { runInNewContext } from "node:vm";
import { VMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { ecosystemJson, looksLikeShell, resolveStart } from "./config.js";

const ctx = { provider: "test", operation: "processes.start" };
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return "ok";
  } catch (err) {
    return err instanceof VMError ? err.code : "other";
  }
};

describe("resolveStart", () => {
  it("seed form: command is the interpreter when script differs", () => {
    expect(resolveStart("node", { name: "app", script: "/app/server.js", env: { PORT: "3000" } }, ctx).app).toEqual({
      name: "app",
      script: "/app/server.js",
      interpreter: "node",
      env: { PORT: "3000" },
      exec_mode: "fork",
    });
  });

  it("builder form: command equal to script is the script; several instances merge logs and let PM2 pick cluster", () => {
    const config = { name: "my-app", script: "/app/server.js", instances: 4 };
    expect(resolveStart(config.script, config, ctx).app).toEqual({ name: "my-app", script: "/app/server.js", instances: 4, merge_logs: true });
    expect(resolveStart("/app/server.js", { name: "w", instances: 4, merge_logs: false }, ctx).app.merge_logs).toBe(false);
  });

  it("shell text runs under /bin/sh -c as one argv element, extra args become $1…", () => {
    const r = resolveStart("while true; do echo $1; sleep 1; done", { name: "loop", args: ["hi"] }, ctx);
    expect(r.shell).toBe(true);
    expect(r.app).toEqual({ name: "loop", script: "/bin/sh", interpreter: "none", args: ["-c", "while true; do echo $1; sleep 1; done", "loop", "hi"], exec_mode: "fork" });
  });

  it("a binary with args stays a binary", () => {
    expect(resolveStart("/usr/bin/sleep", { args: ["100"] }, ctx).app).toEqual({ name: "sleep", script: "/usr/bin/sleep", args: ["100"], exec_mode: "fork" });
    expect(resolveStart("/app/run", { interpreter: "none" }, ctx).app.interpreter).toBe("none");
  });

  it("rejects bad input before anything runs", () => {
    const bad: [unknown, unknown][] = [
      ["", {}],
      ["/a.js", { name: "all" }],
      ["/a.js", { name: "args" }],
      ["/a.js", { name: "PORT", env: { PORT: "3000" } }],
      ["/a.js", { instances: 0 }],
      ["/a.js", { instances: 1.5 }],
      ["/a.js", { instances: 100_000 }],
      ["/a.js", { instances: "many" }],
      ["/a.js", { env: { "BAD NAME": "x" } }],
      ["/a.js", { env: { A: 1 } }],
      ["/a.js", { env: JSON.parse('{"__proto__": "x"}') as unknown }],
      ["/a.js", { cwd: "relative" }],
      ["/a.js", { args: ["a\0b"] }],
      ["/a.js", { out_file: "/etc/passwd" }],
      ["/a.js", { exec_mode: "turbo" }],
      ["/a.js", { max_memory_restart: "lots" }],
      ["/a.js", { min_uptime: "soon" }],
      ["/a.js", { autorestart: "yes" }],
      ["/a.js", { namespace: "all" }],
      ["/a.js", { stop_exit_codes: [300] }],
      ["node", { script: "/a.js", interpreter: "python3" }],
      ["/a.js", null],
    ];
    for (const [command, options] of bad) expect(codeOf(() => resolveStart(command, options ?? "not-an-object", ctx))).toBe("INVALID_ARGUMENT");
  });

  it("tells shell text from paths", () => {
    expect(looksLikeShell("npm run dev")).toBe(true);
    expect(looksLikeShell("echo $HOME")).toBe(true);
    expect(looksLikeShell("/usr/local/bin/node")).toBe(false);
    expect(looksLikeShell("python3")).toBe(false);
  });
});

describe("ecosystemJson", () => {
  const hostile = {
    name: "x",
    script: "/a.js",
    env: {
      QUOTES: `'"\`\\`,
      DOLLAR: "$(touch /tmp/p) ${X}",
      NEWLINES: "a\nb\r\n",
      SEPARATORS: "\u2028\u2029",
      UNICODE: "ü🚀中",
      BREAKOUT: `"}]}); process.exit(9); ({"`,
    },
  };

  it("is pure ASCII", () => {
    expect(ecosystemJson(hostile)).toMatch(/^[\x20-\x7e]*$/);
  });

  it("means the same as JSON and as the JavaScript expression PM2 evaluates it as", () => {
    const text = ecosystemJson(hostile);
    expect(JSON.parse(text)).toEqual({ apps: [hostile] });
    expect(runInNewContext(`(${text})`, {})).toEqual({ apps: [hostile] });
  });
});
