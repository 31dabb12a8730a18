// `timeoutMs` is enforced in the container too (EXEC_WRAPPER's watchdog), not by the client
// alone: a client killed during an exec must not leave the command running past its deadline.
import { type ChildProcess, spawn } from "node:child_process";
import type { BootedInstance } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WATCHDOG_GRACE_MS } from "../src/internal.js";
import { baseImage, createTestProvider, waitFor } from "./helpers.js";

const { provider, cleanup } = createTestProvider();
let vm: BootedInstance;
const children: ChildProcess[] = [];

beforeAll(async () => {
  vm = await provider.instances.boot(baseImage(), { metadata: { suite: "exec-watchdog" } });
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await cleanup();
});

// The built package, as a user's program would load it.
const DIST = new URL("../dist/index.js", import.meta.url).href;

/** A separate node process that runs one exec with the built provider (and never returns on its own). */
function clientProcess(instanceId: string, argv: string[], options: object): ChildProcess {
  const script = `import { createDockerVMProvider } from ${JSON.stringify(DIST)};
const provider = createDockerVMProvider();
await provider.instances.exec(${JSON.stringify(instanceId)}, ${JSON.stringify(argv)}, ${JSON.stringify(options)});`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
  children.push(child);
  return child;
}

async function alive(pid: string): Promise<boolean> {
  return (await provider.instances.exec(vm.id, ["kill", "-0", pid])).exit_code === 0;
}

async function readPid(path: string): Promise<string> {
  return waitFor(async () => {
    const r = await provider.instances.exec(vm.id, ["cat", path]);
    const pid = r.stdout.trim();
    return /^\d+$/.test(pid) ? pid : undefined;
  }, 30_000);
}

describe("the in-container watchdog of timeoutMs", () => {
  for (const user of ["root", "nobody"]) {
    it(`kills a command (and its background child) whose client was SIGKILLed, by timeoutMs + grace (run as ${user})`, async () => {
      const timeoutMs = 4_000;
      const dir = `/tmp/watchdog-${user}`;
      await provider.instances.exec(vm.id, ["sh", "-c", 'rm -rf "$1"; mkdir -m 777 "$1"', "sh", dir]);
      const client = clientProcess(vm.id, ["sh", "-c", 'sleep 600 & echo $! > "$1/bg"; echo $$ > "$1/fg"; wait', "sh", dir], { timeoutMs, user });
      const fg = await readPid(`${dir}/fg`);
      const bg = await readPid(`${dir}/bg`);
      const seen = Date.now();
      client.kill("SIGKILL");
      await new Promise((resolve) => client.once("exit", resolve));
      expect(await alive(fg), "the client's death alone does not kill the command").toBe(true);
      // Bounded wait for the event: the watchdog fires timeoutMs + grace after the wrapper started
      // (before the pid files were written); its kill takes at most a few seconds more.
      const bound = timeoutMs + WATCHDOG_GRACE_MS + 15_000;
      const goneAfter = await waitFor(async () => ((await alive(fg)) || (await alive(bg)) ? undefined : Date.now() - seen), bound);
      console.log(`watchdog (${user}): command and child gone ${goneAfter} ms after the pid files (timeoutMs ${timeoutMs}, grace ${WATCHDOG_GRACE_MS})`);
      expect(goneAfter).toBeLessThan(bound);
    });
  }

  it("leaves nothing behind when the command ends before its timeout", async () => {
    const marker = `${(123_000 + WATCHDOG_GRACE_MS) / 1000}`;
    expect((await provider.instances.exec(vm.id, ["true"], { timeoutMs: 123_000 })).exit_code).toBe(0);
    expect((await provider.instances.exec(vm.id, ["true"], { timeoutMs: 123_000, user: "nobody" })).exit_code).toBe(0);
    // The watchdog's sleep is `sleep <timeoutMs + grace in seconds>`: it must go with the command.
    await waitFor(async () => {
      const { stdout } = await provider.instances.exec(vm.id, ["ps", "-eo", "args="]);
      return stdout.split("\n").some((line) => line.startsWith("sleep ") && line.includes(marker)) ? undefined : true;
    }, 30_000);
  });
});
