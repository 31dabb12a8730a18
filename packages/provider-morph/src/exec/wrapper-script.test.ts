import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { EXEC_WRAPPER_SCRIPT, STDIN_CHUNK_CHARS, buildExecCommand, needsWrapper, takeTimeoutMarker } from "./wrapper-script.js";

// These run the real wrapper with the local bash: the same argv Morph's exec would run.
function run(command: string[]) {
  const [file, ...args] = command;
  const result = spawnSync(file!, args, { encoding: "utf8" });
  return { stdout: result.stdout, stderr: result.stderr, exit_code: result.status ?? -1 };
}

describe("buildExecCommand", () => {
  it("sends argv unchanged when no option needs the wrapper", () => {
    expect(buildExecCommand(["echo", "hi"])).toEqual(["echo", "hi"]);
    expect(buildExecCommand(["echo", "hi"], { env: {} })).toEqual(["echo", "hi"]);
    expect(needsWrapper({ signal: new AbortController().signal })).toBe(false);
  });

  it("passes every user value as a positional argument, never in the script", () => {
    const hostile = `$(touch /tmp/pwned) "; rm -rf / #\n'`;
    const command = buildExecCommand(["printf", "%s", hostile], { cwd: "/tmp", env: { A: hostile } });
    expect(command.slice(0, 4)).toEqual(["bash", "-c", EXEC_WRAPPER_SCRIPT, "vm-exec"]);
    expect(command[2]).not.toContain(hostile);
    expect(run(command)).toEqual({ stdout: hostile, stderr: "", exit_code: 0 });
  });

  it("applies cwd and env", () => {
    const result = run(buildExecCommand(["bash", "-c", 'printf "%s|%s" "$PWD" "$GREETING"'], { cwd: "/usr", env: { GREETING: "a b=c" } }));
    expect(result.stdout).toBe("/usr|a b=c");
  });

  it("feeds stdin text and exact bytes, in several chunks when large", () => {
    expect(run(buildExecCommand(["cat"], { stdin: "hello\nworld" })).stdout).toBe("hello\nworld");
    const bytes = new Uint8Array([0, 1, 2, 255, 10, 13]);
    const hex = run(buildExecCommand(["od", "-An", "-tx1"], { stdin: bytes })).stdout.replace(/\s+/g, " ").trim();
    expect(hex).toBe("00 01 02 ff 0a 0d");
    const big = "x".repeat(STDIN_CHUNK_CHARS * 2);
    const command = buildExecCommand(["wc", "-c"], { stdin: big });
    expect(Number(command[8])).toBeGreaterThan(1);
    expect(run(command).stdout.trim()).toBe(String(big.length));
  });

  it("keeps the command's exit code and reports a bad cwd with 125", () => {
    expect(run(buildExecCommand(["bash", "-c", "exit 7"], { cwd: "/" })).exit_code).toBe(7);
    const bad = run(buildExecCommand(["true"], { cwd: "/definitely/not/here" }));
    expect(bad.exit_code).toBe(125);
    expect(bad.stderr).toContain("does not exist");
  });

  it("kills a command past its timeout and marks it", () => {
    const result = run(buildExecCommand(["sleep", "5"], { timeoutMs: 300 }));
    expect(result.exit_code).toBe(124);
    expect(takeTimeoutMarker(result.stderr).timedOut).toBe(true);
    const quick = run(buildExecCommand(["bash", "-c", "exit 124"], { timeoutMs: 5_000 }));
    expect(quick.exit_code).toBe(124);
    expect(takeTimeoutMarker(quick.stderr).timedOut).toBe(false);
  });

  it("runs as another user, by name or uid", () => {
    expect(run(buildExecCommand(["id", "-u"], { user: "65534" })).stdout).toBe("65534\n");
    const result = run(buildExecCommand(["id", "-un"], { user: "nobody" }));
    expect(result).toMatchObject({ stdout: "nobody\n", exit_code: 0 });
    expect(run(buildExecCommand(["true"], { user: "no_such_user_xyz" })).exit_code).toBe(125);
  });
});
