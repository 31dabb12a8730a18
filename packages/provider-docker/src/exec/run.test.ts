import { describe, expect, it } from "vitest";
import { runtimeFailure } from "./run.js";

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
