import { VMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { assertProcessName, assertTarget, defaultProcessName, logCollisionKey, logStem } from "./names.js";

const ctx = { provider: "test", operation: "processes.start" };
const code = (fn: () => unknown) => {
  try {
    fn();
    return "ok";
  } catch (err) {
    return err instanceof VMError ? err.code : "other";
  }
};

describe("process names", () => {
  it.each(["web", "my-app", "App.v2", "a", "x1", "0day", "api-1", "Args", "names", "path"])("accepts %j", (name) => {
    expect(code(() => assertProcessName(name, ctx))).toBe("ok");
  });

  it.each([
    ["empty", ""],
    ["whitespace only", "   "],
    ["numeric", "42"],
    ["numeric for isNaN (exponent)", "1e3"],
    ["numeric for isNaN (hex)", "0x1f"],
    ["numeric for isNaN (float)", "1.5"],
    ["Infinity", "Infinity"],
    ["all", "all"],
    ["ALL", "ALL"],
    ["slash", "a/b"],
    ["NUL", "a\0b"],
    ["space (log file rewrite)", "my app"],
    ["underscore (log file rewrite)", "my_app"],
    ["unicode (log file rewrite)", "ünï"],
    ["leading dash (CLI flag)", "-x"],
    ["leading dot", ".hidden"],
    ["regex form", "/web/"],
    ["too long", "a".repeat(101)],
    ["a config field PM2 overwrites (args)", "args"],
    ["a config field PM2 overwrites (name)", "name"],
    ["a config field PM2 overwrites (uid)", "uid"],
    ["an inherited variable PM2 overwrites (PATH)", "PATH"],
  ])("rejects %s", (_why, name) => {
    expect(code(() => assertProcessName(name, ctx))).toBe("INVALID_ARGUMENT");
  });

  it("rejects non-strings", () => {
    expect(code(() => assertProcessName(42, ctx))).toBe("INVALID_ARGUMENT");
  });

  it("mirrors PM2's log file rewrite and folds case for collisions", () => {
    expect(logStem("my_app x")).toBe("my-app-x");
    expect(logCollisionKey("My-App")).toBe(logCollisionKey("my-app"));
  });

  it("targets are names or ids", () => {
    expect(assertTarget(3, ctx)).toBe(3);
    expect(assertTarget("3", ctx)).toBe(3);
    expect(assertTarget("web", ctx)).toBe("web");
    expect(code(() => assertTarget(-1, ctx))).toBe("INVALID_ARGUMENT");
    expect(code(() => assertTarget(1.5, ctx))).toBe("INVALID_ARGUMENT");
    expect(code(() => assertTarget("all", ctx))).toBe("INVALID_ARGUMENT");
  });

  it("default names are valid", () => {
    expect(defaultProcessName("/app/server.js", false)).toBe("server");
    expect(defaultProcessName("/usr/bin/python3", false)).toBe("python3");
    expect(defaultProcessName("/app/my_worker.py", false)).toBe("my-worker");
    expect(defaultProcessName("/app/123.js", false)).toBe("app-123");
    expect(defaultProcessName("/app/all.js", false)).toBe("app-all");
    expect(defaultProcessName("/usr/bin/env", false)).toBe("app-env");
    expect(defaultProcessName("/app/script.sh", false)).toBe("app-script");
    expect(defaultProcessName("while true; do :; done", true)).toMatch(/^sh-[0-9a-f]{8}$/);
    for (const name of [defaultProcessName("/x/_.js", false), defaultProcessName("ü", false)]) {
      expect(code(() => assertProcessName(name, ctx))).toBe("ok");
    }
  });
});
