import { VMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { fromExecError, fromPM2Result, redact } from "./errors.js";

const ctx = { provider: "docker", operation: "processes.start" };

describe("fromPM2Result", () => {
  it("no node / no pm2 → UNSUPPORTED naming what is missing, for which user, and what to do", () => {
    for (const what of ["node", "pm2", "node and pm2"]) {
      const err = fromPM2Result({ stdout: "", stderr: `__VM_PM2_MISSING__ ${what}|app|/usr/bin:/bin\n`, exit_code: 127 }, ctx);
      expect(err).toMatchObject({ code: "UNSUPPORTED", provider: "docker", operation: "processes.start" });
      expect(err.message).toMatch(new RegExp(`^${what} not found on PATH for user app \\(PATH=/usr/bin:/bin\\): .*installPM2\\(\\)`));
    }
  });

  it("an exit 127 without the driver's marker (pm2's own `env: node` failure) is not taken for a missing runtime", () => {
    expect(fromPM2Result({ stdout: "", stderr: "/usr/bin/env: 'node': No such file or directory\n", exit_code: 127 }, ctx).code).toBe("INTERNAL");
  });

  it("pm2's not-found errors → NOT_FOUND", () => {
    const esc = String.fromCharCode(27);
    expect(fromPM2Result({ stdout: "", stderr: `${esc}[31m[PM2][ERROR] ${esc}[39mProcess or Namespace x not found\n`, exit_code: 1 }, ctx).code).toBe("NOT_FOUND");
    expect(fromPM2Result({ stdout: "", stderr: "[PM2][ERROR] 9 : id unknown", exit_code: 1 }, ctx).code).toBe("NOT_FOUND");
  });

  it("anything else → INTERNAL with pm2's line, secrets redacted", () => {
    const err = fromPM2Result({ stdout: "", stderr: "[PM2][ERROR] bad value hunter2-secret\n", exit_code: 1 }, ctx, ["hunter2-secret"]);
    expect(err.code).toBe("INTERNAL");
    expect(err.message).toContain("bad value ***");
    expect(err.message).not.toContain("hunter2");
  });

  it("redacts the longest secrets first", () => {
    expect(redact("abc abcdef", ["abc", "abcdef"])).toBe("*** ***");
    expect(redact("ab", ["ab"])).toBe("ab");
  });

  it("exec failures: provider VMErrors pass through, others become INTERNAL with the cause kept", () => {
    const timeout = new VMError("TIMEOUT", "took too long", ctx);
    expect(fromExecError(timeout, ctx)).toBe(timeout);
    const boom = new Error("socket hang up");
    expect(fromExecError(boom, ctx)).toMatchObject({ code: "INTERNAL", cause: boom });
  });
});
