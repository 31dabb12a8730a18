import type { ExecFunction } from "@vm/core";
import { VMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { pm2Save } from "./save.js";
import { createPM2ProcessService, newestWithin } from "./service.js";

const noExec: ExecFunction = () => {
  throw new Error("exec must not be called for invalid input");
};

describe("createPM2ProcessService input checks", () => {
  const processes = createPM2ProcessService(noExec, { provider: "test" });

  it.each([
    ["numeric name", () => processes.start("vm", "/a.js", { name: "12" })],
    ["all", () => processes.start("vm", "/a.js", { name: "all" })],
    ["empty command", () => processes.start("vm", "")],
    ["bad instances", () => processes.start("vm", "/a.js", { name: "a", instances: -2 })],
    ["bad env name", () => processes.start("vm", "/a.js", { name: "a", env: { "A-B": "v" } })],
    ["empty instance id", () => processes.list("")],
    ["bad target", () => processes.stop("vm", "all")],
    ["negative id", () => processes.restart("vm", -1)],
    ["zero log lines", () => processes.logs("vm", "web", 0)],
    ["too many log lines", () => processes.logs("vm", "web", 1e9)],
  ])("%s → INVALID_ARGUMENT before any exec", async (_why, call) => {
    await expect(call()).rejects.toMatchObject({ code: "INVALID_ARGUMENT", provider: "test" });
  });

  it("rejects a relative pm2Home, and one of a wrong type", async () => {
    expect(() => createPM2ProcessService(noExec, { pm2Home: "pm2" })).toThrow(VMError);
    expect(() => createPM2ProcessService(noExec, { pm2Home: 42 as unknown as string })).toThrow(VMError);
    await expect(pm2Save(noExec, "vm", { pm2Home: "pm2" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("pm2Home as a function: the home of each instance id, pinned in argv and env", async () => {
    const seen: { id: string; argv: readonly string[]; home: string | undefined }[] = [];
    const exec: ExecFunction = async (id, argv, options) => {
      seen.push({ id, argv, home: options?.env?.PM2_HOME });
      return { stdout: "[]", stderr: "", exit_code: 0 };
    };
    const processes = createPM2ProcessService(exec, { pm2Home: (id) => `/srv/pm2/${id}` });
    await processes.list("a");
    await processes.list("b");
    await pm2Save(exec, "c", { pm2Home: (id) => `/srv/pm2/${id}` });
    expect(seen.map((s) => [s.id, s.home, s.argv.includes(`/srv/pm2/${s.id}`)])).toEqual([
      ["a", "/srv/pm2/a", true],
      ["b", "/srv/pm2/b", true],
      ["c", "/srv/pm2/c", true],
    ]);
  });

  it.each([
    ["throws", () => { throw new Error("no home"); }],
    ["returns a relative path", () => "pm2"],
    ["returns a non-string", () => 7 as unknown as string],
    ["returns a path with NUL", () => "/a\0b"],
  ])("pm2Home as a function that %s → INVALID_ARGUMENT, no exec", async (_why, pm2Home: (id: string) => string) => {
    const processes = createPM2ProcessService(noExec, { provider: "test", pm2Home });
    await expect(processes.list("vm")).rejects.toMatchObject({ code: "INVALID_ARGUMENT", provider: "test" });
    await expect(pm2Save(noExec, "vm", { pm2Home })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("keeps env values out of errors", async () => {
    await expect(processes.start("vm", "/a.js", { name: "a", env: { OK: "top-secret", "BAD-NAME": "top-secret" } })).rejects.toSatisfy(
      (err: unknown) => err instanceof VMError && !err.message.includes("top-secret"),
    );
  });
});

describe("logs(): byte cap", () => {
  it("rejects a maxLogBytes outside 1 … MAX_LOG_BYTES_LIMIT at creation", () => {
    for (const maxLogBytes of [0, -1, 1.5, NaN, 16 * 1024 * 1024 + 1, "1" as unknown as number]) {
      expect(() => createPM2ProcessService(noExec, { maxLogBytes })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }) as Error);
    }
  });

  it("answers an exec output-limit failure in its own terms (operation processes.logs, no execStream advice)", async () => {
    const jlist = JSON.stringify([{ name: "big", pm_id: 0, pid: 1, monit: { cpu: 0, memory: 0 }, pm2_env: { status: "online", pm_out_log_path: "/o", pm_err_log_path: "/e", restart_time: 0, exec_mode: "fork_mode", NODE_APP_INSTANCE: 0, pm_uptime: 0 } }]);
    const exec: ExecFunction = (_id, argv) => {
      if (argv.includes("jlist")) return Promise.resolve({ stdout: jlist, stderr: "", exit_code: 0 });
      return Promise.reject(new VMError("INVALID_ARGUMENT", "the command printed more than maxOutputBytes; use execStream", { provider: "test", operation: "instances.exec" }));
    };
    const err = await createPM2ProcessService(exec, { provider: "test" }).logs("vm", "big", 100).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT", operation: "processes.logs" });
    expect((err as Error).message).toMatch(/maxLogBytes/);
    expect((err as Error).message).not.toMatch(/execStream/);
  });
});

describe("newestWithin", () => {
  const cut = (text: string, cap: number) => {
    const bytes = Buffer.from(text);
    // What the driver sends: the newest cap + 1 bytes.
    return newestWithin(bytes.subarray(Math.max(0, bytes.length - cap - 1)), cap);
  };
  it("keeps a tail within the cap as is, without its final newline", () => {
    expect(cut("a\nb\n", 10)).toBe("a\nb");
  });
  it("keeps the newest whole lines that fit", () => {
    expect(cut("1111\n2222\n3333\n", 9)).toBe("3333");
    expect(cut("1111\n2222\n3333\n", 10)).toBe("2222\n3333");
    expect(cut("1111\n2222\n3333\n", 14)).toBe("2222\n3333");
  });
  it("cuts one line longer than the cap to its newest bytes, from a character boundary", () => {
    expect(cut("abcdefgh\n", 4)).toBe("fgh");
    expect(cut(`${"é".repeat(10)}\n`, 6)).toBe("éé");
  });
});
