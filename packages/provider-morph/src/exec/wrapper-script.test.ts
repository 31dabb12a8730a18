import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXEC_NO_CWD_MESSAGE, EXEC_NO_USER_MESSAGE, EXEC_RUN_DIR, EXEC_START_FAILED_EXIT, EXEC_TAG_VAR, startFailureMarker } from "@vm/provider-kit/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXEC_KILL_SCRIPT, EXEC_WRAPPER_SCRIPT, STDIN_CHUNK_CHARS, buildExecCommand, buildExecKillCommand, needsWrapper, takeTimeoutMarker } from "./wrapper-script.js";

// These run the real wrapper with the local bash: the same argv Morph's exec would run.
function run(command: string[]) {
  const [file, ...args] = command;
  const result = spawnSync(file!, args, { encoding: "utf8" });
  return { stdout: result.stdout, stderr: result.stderr, exit_code: result.status ?? -1 };
}

describe("EXEC_WRAPPER_SCRIPT's literals", () => {
  it("spells the kit's start-failure constants literally (a .sh cannot import them) and carries the passwd lookup", () => {
    expect(EXEC_WRAPPER_SCRIPT).toContain(`'${EXEC_NO_USER_MESSAGE}'`);
    expect(EXEC_WRAPPER_SCRIPT).toContain(`'${EXEC_NO_CWD_MESSAGE}'`);
    expect(EXEC_WRAPPER_SCRIPT).toContain(`exit ${EXEC_START_FAILED_EXIT};`);
    expect(EXEC_WRAPPER_SCRIPT).toContain("  vm_pw() {");
    expect(EXEC_WRAPPER_SCRIPT).not.toContain("__VM_PASSWD_LOOKUP__");
  });
});

describe("buildExecCommand", () => {
  it("the script (sh/exec-wrapper.sh) uses EXEC_RUN_DIR and tags with EXEC_TAG_VAR", () => {
    expect(EXEC_WRAPPER_SCRIPT).toContain(`  xdir=${EXEC_RUN_DIR}; `);
    expect(EXEC_WRAPPER_SCRIPT).toContain(`  export ${EXEC_TAG_VAR}="$xid"\n`);
  });

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

  it("keeps the command's exit code and reports a bad cwd or user with 125 and the kit's marker alone", () => {
    expect(run(buildExecCommand(["bash", "-c", "exit 7"], { cwd: "/" })).exit_code).toBe(7);
    const bad = run(buildExecCommand(["true"], { cwd: "/definitely/not/here" }));
    expect(bad).toEqual({ stdout: "", stderr: startFailureMarker("cwd"), exit_code: 125 });
    const id = randomUUID();
    expect(run(buildExecCommand(["true"], { cwd: "/definitely/not/here" }, id))).toEqual({ stdout: "", stderr: startFailureMarker("cwd", id), exit_code: 125 });
    expect(run(buildExecCommand(["true"], { user: "vm-no-such-user" }, id))).toEqual({ stdout: "", stderr: startFailureMarker("user", id), exit_code: 125 });
  });

  it("kills a command past its timeout and marks it", () => {
    // The command far outlives its bound, and the quick one's bound is far beyond its run: a
    // stalled machine cannot swap the outcomes (sleep 5 / 5 s did on paper).
    const result = run(buildExecCommand(["sleep", "30"], { timeoutMs: 300 }));
    expect(result.exit_code).toBe(124);
    expect(takeTimeoutMarker(result.stderr).timedOut).toBe(true);
    const quick = run(buildExecCommand(["bash", "-c", "exit 124"], { timeoutMs: 50_000 }));
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

describe("kill ids (abort and timeout kill the command with a second exec)", () => {
  // Pid and cancel files go under the root-only EXEC_RUN_DIR (these tests run as root); every
  // test uses its own random id, so runs do not meet there. TMPDIR is private per run.
  let env: NodeJS.ProcessEnv;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vm-exec-kill-"));
    env = { ...process.env, TMPDIR: dir };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Pids of processes whose argv is exactly one of `argvs` (space-joined). */
  function running(...argvs: string[]): string[] {
    // Read in-process: a bash loop with one `tr` per process took tens of seconds on a loaded
    // machine, longer than the command's timeoutMs.
    return readdirSync("/proc").filter((pid) => {
      if (!/^\d+$/.test(pid)) return false;
      try {
        return argvs.includes(readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trimEnd());
      } catch {
        return false; // gone meanwhile
      }
    });
  }

  /** The pid or cancel files of `id` still in the run dir. */
  function leftFiles(id: string): string[] {
    return [`${id}.pid`, `${id}.cancel`].filter((name) => existsSync(join(EXEC_RUN_DIR, name)));
  }

  function kill(killId: string) {
    const [file, ...args] = buildExecKillCommand(killId);
    return spawnSync(file!, args, { env, encoding: "utf8" });
  }

  it("adds the kill id as the sixth argument and wraps even without other options", () => {
    const id = randomUUID();
    expect(buildExecCommand(["true"], undefined, id)).toEqual(["bash", "-c", EXEC_WRAPPER_SCRIPT, "vm-exec", "", "", "", "0", "0", id, "true"]);
    expect(buildExecCommand(["true"], { cwd: "/" })[9]).toBe("");
    expect(() => buildExecCommand(["true"], undefined, "$(reboot)")).toThrow(TypeError);
    expect(buildExecKillCommand(id)).toEqual(["sh", "-c", EXEC_KILL_SCRIPT, "vm-kill", id, EXEC_RUN_DIR]);
  });

  it("exports VM_EXEC_ID to the command and leaves no pid file after a normal exit", async () => {
    const id = randomUUID();
    const [file, ...args] = buildExecCommand(["printenv", "VM_EXEC_ID"], { cwd: "/" }, id);
    const result = spawnSync(file!, args, { env, encoding: "utf8" });
    expect(result).toMatchObject({ status: 0, stdout: `${id}\n` });
    expect(leftFiles(id)).toEqual([]);
  });

  it.each([
    ["no options", {}],
    // An hour: the kill must end the command, never its timeout (30 s ran out on a loaded machine).
    ["timeoutMs (coreutils timeout moves to its own process group)", { timeoutMs: 3_600_000 }],
    ["stdin and timeoutMs", { stdin: "input", timeoutMs: 3_600_000 }],
  ] as const)("kills a running command and what it started: %s", async (_label, options) => {
    const id = randomUUID();
    // Unique durations tag the two sleeps; one sits in its own session, away from its parent:
    // it is found by VM_EXEC_ID, not by parentage or process group.
    const seconds = `${600 + Math.floor(Math.random() * 1_000_000) / 1000}`;
    const tag = [`sleep ${seconds}`, `sleep ${seconds}1`];
    const script = `cat >/dev/null; setsid sleep ${seconds}1 & exec sleep ${seconds}`;
    const [file, ...args] = buildExecCommand(["bash", "-c", script], options, id);
    const child = spawn(file!, [...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let gone = false;
    const exited = new Promise<unknown>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal))).finally(() => (gone = true));
    try {
      // Until both sleeps run or the wrapper died (no count bound: starting bash is slow on a loaded machine).
      while (running(...tag).length < 2 && !gone) await new Promise((r) => setTimeout(r, 100));
      expect(running(...tag)).toHaveLength(2);
      expect(kill(id).status).toBe(0);
      await exited;
      expect(running(...tag)).toEqual([]);
    } finally {
      for (const pid of running(...tag)) process.kill(Number(pid), "SIGKILL");
    }
    // The command was found, so no cancel file is left; the pid file went with it.
    expect(leftFiles(id)).toEqual([]);
  });

  it("a kill that arrives before the command starts stops it from ever running", () => {
    const id = randomUUID();
    expect(kill(id).status).toBe(0);
    const [file, ...args] = buildExecCommand(["bash", "-c", "echo RAN"], undefined, id);
    const result = spawnSync(file!, args, { env, encoding: "utf8" });
    expect(result.status).toBe(130);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("cancelled before it started");
  });

  it("never signals an unrelated process through a stale pid file", async () => {
    const id = randomUUID();
    const bystander = spawn("sleep", ["30"], { stdio: "ignore" });
    spawnSync("bash", ["-c", '{ [ -d "$1" ] || mkdir -m 700 "$1"; } && printf "%s" "$2" > "$1/$3.pid"', "x", EXEC_RUN_DIR, String(bystander.pid), id]);
    expect(kill(id).status).toBe(0);
    expect(bystander.exitCode).toBeNull();
    expect(bystander.kill("SIGKILL")).toBe(true);
    await rm(join(EXEC_RUN_DIR, `${id}.cancel`), { force: true });
  });
});
