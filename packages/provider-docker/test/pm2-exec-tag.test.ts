// The PM2 daemon and its apps outlive the exec that started them, so they must not carry that
// exec's kill tag (the kit's EXEC_TAG_VAR): the kill protocol kills every process with the tag,
// and a TIMEOUT or abort of a processes call would otherwise take the daemon and every app with it.
import { DEFAULT_PM2_HOME } from "@vm/pm2";
import { EXEC_TAG_VAR } from "@vm/provider-kit/internal";
import { afterAll, describe, expect, it } from "vitest";
import { baseImage, createTestProvider } from "./helpers.js";

const { provider, cleanup } = createTestProvider();
afterAll(async () => {
  await cleanup();
});

/** The names of the environment entries of `pid` in the instance, read as root. */
async function envNames(id: string, pid: string): Promise<string[]> {
  // "$$" is the shell itself: a process started by this exec.
  const result = await provider.instances.exec(id, ["sh", "-c", 'p=$1; [ "$p" = self ] && p=$$; tr "\\0" "\\n" < "/proc/$p/environ" | cut -d= -f1', "vm-env", pid]);
  expect(result.exit_code, result.stderr).toBe(0);
  return result.stdout.split("\n").filter((n) => n.length > 0);
}

describe("PM2 processes and the exec kill tag", () => {
  it("neither the daemon nor an app started through processes.start carries the starting exec's tag", async () => {
    const snapshot = await provider.snapshots.fromImage(baseImage());
    await using vm = await provider.instances.boot(snapshot.id);
    await provider.processes.start(vm.id, "/usr/bin/sleep", { name: "sleeper", args: ["600"] });
    const [app] = (await provider.processes.list(vm.id)).filter((p) => p.name === "sleeper");
    expect(app?.pid, "the app runs").toBeGreaterThan(0);
    const daemon = await provider.instances.exec(vm.id, ["cat", `${DEFAULT_PM2_HOME}/pm2.pid`]);
    const daemonPid = daemon.stdout.trim().split("\n")[0] ?? "";
    expect(daemonPid, daemon.stderr).toMatch(/^\d+$/);
    expect(await envNames(vm.id, daemonPid)).not.toContain(EXEC_TAG_VAR);
    expect(await envNames(vm.id, String(app?.pid))).not.toContain(EXEC_TAG_VAR);
    // The check can see the tag where it is: a plain exec's own process carries it.
    expect(await envNames(vm.id, "self")).toContain(EXEC_TAG_VAR);
  });
});
