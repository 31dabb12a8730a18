import type { ExecFunction } from "@vm/core";
import { VMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { createPM2ProcessService } from "./service.js";

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

  it("rejects a relative pm2Home", () => {
    expect(() => createPM2ProcessService(noExec, { pm2Home: "pm2" })).toThrow(VMError);
  });

  it("keeps env values out of errors", async () => {
    await expect(processes.start("vm", "/a.js", { name: "a", env: { OK: "top-secret", "BAD-NAME": "top-secret" } })).rejects.toSatisfy(
      (err: unknown) => err instanceof VMError && !err.message.includes("top-secret"),
    );
  });
});
