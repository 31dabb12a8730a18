import { describe, expect, it } from "vitest";
import { runtimeFailure, validateExec } from "./exec.js";

describe("validateExec", () => {
  it("accepts good input and rejects bad input with INVALID_ARGUMENT", () => {
    expect(() => validateExec("docker", "instances.exec", "abc", ["ls"], { cwd: "/", env: { A: "1" }, user: "1000", timeoutMs: 5, stdin: "x" })).not.toThrow();
    for (const [id, argv, options] of [
      ["", ["ls"], undefined],
      ["abc", [], undefined],
      ["abc", "ls", undefined],
      ["abc", ["ls"], { cwd: "tmp" }],
      ["abc", ["ls"], { env: { "1A": "x" } }],
      ["abc", ["ls"], { user: "a:b" }],
      ["abc", ["ls"], { timeoutMs: 0 }],
      ["abc", ["ls"], { stdin: 5 }],
    ] as const) {
      expect(() => validateExec("docker", "instances.exec", id, argv, options as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }) as Error);
    }
  });
  it("rejects an already aborted signal with ABORTED", () => {
    expect(() => validateExec("docker", "instances.exec", "abc", ["ls"], { signal: AbortSignal.abort() })).toThrow(expect.objectContaining({ code: "ABORTED" }) as Error);
  });
});

describe("runtimeFailure", () => {
  it("turns the engine's own start failures into errors and leaves real results alone", () => {
    const oci = (text: string) => ({ stdout: text, stderr: "", exit_code: 126 });
    expect(runtimeFailure(oci('OCI runtime exec failed: exec failed: chdir to cwd ("/x") set in config.json failed'), { options: { cwd: "/x" } })?.code).toBe("NOT_FOUND");
    expect(runtimeFailure(oci("unable to find user bob: no matching entries in passwd file\n"), { options: { user: "bob" } })?.code).toBe("NOT_FOUND");
    expect(runtimeFailure(oci("OCI runtime exec failed: something else"), { options: {} })?.code).toBe("INTERNAL");
    expect(runtimeFailure({ stdout: "OCI runtime exec failed", stderr: "", exit_code: 1 }, { options: {} })).toBeUndefined();
    expect(runtimeFailure({ stdout: "", stderr: "sh: not found", exit_code: 127 }, { options: {} })).toBeUndefined();
  });
});
