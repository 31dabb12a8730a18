import { spawn, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { EXEC_KILL_SCRIPT, EXEC_TAG_VAR, buildExecKillArgv, execTagEntry, isExecId, newExecId } from "./kill-protocol.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("kill protocol", () => {
  it("builds the tag and the kill argv only from well-formed ids", () => {
    const id = newExecId();
    expect(isExecId(id)).toBe(true);
    expect(execTagEntry(id)).toBe(`${EXEC_TAG_VAR}=${id}`);
    expect(buildExecKillArgv(id)).toEqual(["sh", "-c", EXEC_KILL_SCRIPT, "vm-kill", id, ""]);
    for (const bad of ["", "$(reboot)", "a b", "x".repeat(65), 42]) {
      expect(isExecId(bad)).toBe(false);
      expect(() => execTagEntry(bad as string)).toThrow(TypeError);
      expect(() => buildExecKillArgv(bad as string)).toThrow(TypeError);
    }
  });

  it("the script (sh/exec-kill.sh) looks for the tag EXEC_TAG_VAR names", () => {
    expect(EXEC_KILL_SCRIPT).toContain(`"${EXEC_TAG_VAR}=$id"`);
  });

  it("kills the tagged tree (a setsid child too) and leaves an untagged process alone", async () => {
    const id = newExecId();
    // Unique durations tell our sleeps apart; the setsid one is away from the tagged group.
    const secs = `${700 + Math.floor(Math.random() * 1e6) / 1e3}`;
    const tagged = spawn("bash", ["-c", `setsid sleep ${secs}1 & exec sleep ${secs}`], { env: { ...process.env, [EXEC_TAG_VAR]: id }, stdio: "ignore" });
    const bystander = spawn("sleep", [secs], { stdio: "ignore" });
    const exited = new Promise((resolve) => tagged.on("exit", resolve));
    const pgrep = () => spawnSync("pgrep", ["-fx", `sleep ${secs}1`], { encoding: "utf8" }).stdout.trim();
    try {
      for (let i = 0; i < 100 && pgrep() === ""; i++) await new Promise((r) => setTimeout(r, 50));
      expect(pgrep()).not.toBe("");
      const [file, ...args] = buildExecKillArgv(id);
      expect(spawnSync(file!, args).status).toBe(0);
      await exited;
      expect(pgrep()).toBe("");
      expect(alive(bystander.pid!)).toBe(true);
    } finally {
      bystander.kill("SIGKILL");
      const left = pgrep();
      if (left) for (const pid of left.split("\n")) process.kill(Number(pid), "SIGKILL");
    }
  });
});
