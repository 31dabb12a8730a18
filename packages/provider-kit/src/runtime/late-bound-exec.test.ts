import { describe, expect, it } from "vitest";
import { lateBoundExec } from "./late-bound-exec.js";

describe("lateBoundExec", () => {
  it("before bind, exec rejects with a VMError INTERNAL (not a bare Error)", async () => {
    const late = lateBoundExec("test");
    await expect(late.exec("vm", ["true"])).rejects.toMatchObject({ name: "VMError", code: "INTERNAL", provider: "test" });
  });

  it("after bind, exec calls the target with every argument", async () => {
    const late = lateBoundExec("test");
    const seen: unknown[] = [];
    late.bind(async (id, argv, options) => {
      seen.push(id, argv, options);
      return { stdout: "ok", stderr: "", exit_code: 0 };
    });
    await expect(late.exec("vm", ["echo"], { cwd: "/" })).resolves.toEqual({ stdout: "ok", stderr: "", exit_code: 0 });
    expect(seen).toEqual(["vm", ["echo"], { cwd: "/" }]);
  });

  it("binds once", () => {
    const late = lateBoundExec("test");
    const target = () => Promise.resolve({ stdout: "", stderr: "", exit_code: 0 });
    late.bind(target);
    expect(() => late.bind(target)).toThrow(expect.objectContaining({ code: "INTERNAL" }));
  });
});
