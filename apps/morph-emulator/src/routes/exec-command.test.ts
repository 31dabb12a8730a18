import { execFileSync } from "node:child_process";
import { toShellLine } from "@vm/provider-morph/internal";
import { describe, expect, it } from "vitest";
import { backendArgv, programOf } from "./exec-command.js";

// The backend argv run on this host with real sh, as the backend's container runs it.
const run = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8" });

describe("backendArgv", () => {
  it("ssh: the SDK's one-element shell line runs in a shell", () => {
    expect(run(backendArgv(["echo 'hello world' && echo second"], "ssh"))).toBe("hello world\nsecond\n");
  });

  it("ssh: elements are joined with spaces, so an argv loses its word boundaries (as over SSH)", () => {
    expect(run(backendArgv(["printf", "%s,", "a b"], "ssh"))).toBe("a,b,");
  });

  it("ssh and argv: the provider's quoted line is exactly its argv", () => {
    const argv = ["printf", "%s|", "a b", "it's", "$(id)", "x\ny", ""];
    for (const mode of ["ssh", "argv"] as const) expect(run(backendArgv([toShellLine(argv)], mode))).toBe("a b|it's|$(id)|x\ny||");
  });

  it("argv: two or more elements are the program and its arguments, with no shell", () => {
    expect(backendArgv(["printf", "%s|", "a b"], "argv")).toEqual(["printf", "%s|", "a b"]);
    expect(run(backendArgv(["printf", "%s|", "a b"], "argv"))).toBe("a b|");
  });
});

describe("programOf", () => {
  it("names $0 of a wrapped script, as an argv or as the provider's line, else the first word", () => {
    expect(programOf(["bash", "-c", "x", "vm-exec", "a"])).toBe("vm-exec");
    expect(programOf([toShellLine(["bash", "-c", "it's a script", "vm-kill", "id"])])).toBe("vm-kill");
    expect(programOf([toShellLine(["ls", "-l"])])).toBe("ls");
    expect(programOf(["echo 'hello world'"])).toBe("echo");
  });
});
