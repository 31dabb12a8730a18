import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXEC_NO_CWD_MESSAGE, EXEC_START_FAILED_EXIT, EXEC_TAG_VAR } from "@vm/provider-kit/internal";
import { EXEC_WRAPPER } from "../scripts.js";

// EXEC_WRAPPER (sh/exec-wrapper.sh) run with the host's /bin/sh, as the container runs it:
// sh -c EXEC_WRAPPER vm-exec <cwd> <watchdog> <kill script> <argv...> (no cwd, no watchdog here),
// its stdout and stderr pipes (Node's stdio are sockets).
const wrapper = (argv: string[], cwd = "") => ["-c", EXEC_WRAPPER, "vm-exec", cwd, "", "", ...argv];

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vm-docker-wrapper-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Running (a zombie waiting for its reaper counts as gone). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

/** Resolves once `check` holds (another process's doing: polled, never a fixed wait). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

/** A background child that writes its pid to `pidFile`, waits for `go`, then says "late". */
const BACKGROUND = '( sh -c \'echo $$ > "$1"; while [ ! -e "$2" ]; do sleep 0.05; done; echo late\' bg "$1" "$2" ) REDIRECT & echo $$ > "$3"; echo early';

describe("EXEC_WRAPPER (sh)", () => {
  it("spells the kit's start-failure constants and kill tag literally (a .sh cannot import them)", () => {
    expect(EXEC_WRAPPER).toContain(`'${EXEC_NO_CWD_MESSAGE}'`);
    expect(EXEC_WRAPPER).toContain(`exit ${EXEC_START_FAILED_EXIT};`);
    expect(EXEC_WRAPPER).toContain(`"\${${EXEC_TAG_VAR}:+ [$${EXEC_TAG_VAR}]}"`);
  });

  it("enters cwd first, and answers a cwd it cannot enter with exit 125 and only the marker", () => {
    const ok = spawnSync("sh", wrapper(["pwd"], dir), { encoding: "utf8" });
    expect(ok.stdout).toBe(`${dir}\n`);
    const bad = spawnSync("sh", wrapper(["pwd"], join(dir, "missing")), { encoding: "utf8", env: { ...process.env, [EXEC_TAG_VAR]: "abc" } });
    expect(bad.status).toBe(EXEC_START_FAILED_EXIT);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toBe(`${EXEC_NO_CWD_MESSAGE} [abc]\n`);
  });

  it("passes argv unchanged and exits with the command's exact status", () => {
    const r = spawnSync("sh", wrapper(["sh", "-c", 'printf "%s|" "$@"; exit 7', "x", "a b", "$(id)", ""]), { encoding: "utf8" });
    expect(r.stdout).toBe("a b|$(id)||");
    expect(r.status).toBe(7);
  });

  it("runs argv[0] as a program through env, never as a shell builtin", () => {
    // `cd` exists only as a builtin: through env it is "not found".
    const r = spawnSync("sh", wrapper(["cd", "/"]), { encoding: "utf8" });
    expect(r.status).toBe(127);
  });

  it("stays while a background child holds its stdout, so the child's later output arrives", async () => {
    const go = join(dir, "go-held");
    const [bgPid, cmdPid] = [join(dir, "bg-held.pid"), join(dir, "cmd-held.pid")];
    const child = spawn("sh", wrapper(["sh", "-c", BACKGROUND.replace("REDIRECT", ""), "cmd", bgPid, go, cmdPid]), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const done = exited(child);
    try {
      await until(() => existsSync(cmdPid) && existsSync(bgPid) && readFileSync(cmdPid, "utf8").endsWith("\n"));
      // The command itself has exited; the wrapper is still there, held by the child.
      await until(() => !alive(Number(readFileSync(cmdPid, "utf8"))));
      expect(alive(child.pid!)).toBe(true);
      writeFileSync(go, "");
      expect(await done).toBe(0);
      expect(stdout).toBe("early\nlate\n");
    } finally {
      writeFileSync(go, "");
    }
  });

  it("does not wait for a background child that sent its output elsewhere", async () => {
    const go = join(dir, "go-free");
    const [bgPid, cmdPid] = [join(dir, "bg-free.pid"), join(dir, "cmd-free.pid")];
    const child = spawn("sh", wrapper(["sh", "-c", BACKGROUND.replace("REDIRECT", ">/dev/null 2>&1"), "cmd", bgPid, go, cmdPid]), { stdio: ["ignore", "pipe", "pipe"] });
    try {
      expect(await exited(child)).toBe(0);
      await until(() => existsSync(bgPid) && readFileSync(bgPid, "utf8").endsWith("\n"));
      // The wrapper is gone while the child still waits for `go`.
      const bg = Number(readFileSync(bgPid, "utf8"));
      expect(alive(bg)).toBe(true);
      writeFileSync(go, "");
      await until(() => !alive(bg));
    } finally {
      writeFileSync(go, "");
    }
  });

  it("stops its watchdog's sleep when the command ends first, every time, also with many at once", async () => {
    // A TERM that reached the forked `sleep` before it exec'd was caught by dash's inherited handler
    // and lost: under load about 1 run in 50 left a `sleep <watchdog>` behind. Many wrappers at
    // once make that window likely; each must leave nothing once its watchdog shell is gone.
    const seconds = `${600 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    const leftovers = () =>
      readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry) && alive(Number(entry)))
        .filter((entry) => {
          try {
            return readFileSync(`/proc/${entry}/cmdline`, "utf8") === `sleep\0${seconds}\0`;
          } catch {
            return false;
          }
        });
    const runOnce = () => exited(spawn("sh", ["-c", EXEC_WRAPPER, "vm-exec", "", seconds, "true", "true"], { stdio: "ignore" }));
    try {
      for (let round = 0; round < 10; round++) expect(await Promise.all(Array.from({ length: 30 }, runOnce))).toEqual(Array(30).fill(0));
      // The watchdog shells end right after their wrapper; a lost TERM leaves its sleep for 600 s+.
      const deadline = Date.now() + 30_000;
      while (leftovers().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(leftovers()).toEqual([]);
    } finally {
      for (const pid of leftovers()) process.kill(Number(pid), "SIGKILL");
    }
  }, 60_000);
});
