import { Buffer } from "node:buffer";
import { isVMError } from "@vm/provider-kit";
import { afterAll, describe, expect, it } from "vitest";
import { listPm2Daemons } from "../../test-setup/pm2-daemons.js";
import { RUN_LABEL, baseImage, codeOf, createCountedDockerProvider } from "./support.js";

// Instances whose container is killed behind the provider's back (`docker kill`, here through
// Dockerode on the shared engine: SIGKILL to the container's init). In-flight calls and every
// later call must end with a clear code, never hang or surface a raw runtime message as INTERNAL.

const { provider, docker, runId, cleanup } = createCountedDockerProvider();
const log: Record<string, unknown> = {};
// "Did not hang" bound for each call; they settle in well under a second when the engine answers.
const BOUND_MS = 60_000;

afterAll(async () => {
  console.log(`[reliability] killed-container: ${JSON.stringify(log)}`);
  await cleanup();
});

/** "ok: <value>" or the VMError code (anything that is not a VMError fails the test), or "HANG". */
async function settle(work: () => Promise<unknown>): Promise<{ outcome: string; value?: unknown; message?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<{ outcome: string }>((resolve) => (timer = setTimeout(() => resolve({ outcome: "HANG" }), BOUND_MS)));
  const done = work().then(
    (value) => ({ outcome: "ok", value }),
    (err: unknown) => {
      expect(isVMError(err), `not a VMError: ${String(err)}`).toBe(true);
      return { outcome: codeOf(err), message: isVMError(err) ? err.message : "" };
    },
  );
  try {
    return await Promise.race([done, hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(check: () => boolean, ms = 120_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

describe("a container killed from outside (docker kill on the shared engine)", () => {
  it("in-flight calls end with CONFLICT, its PM2 daemon dies, get says stopped, exec-based calls are CONFLICT, kept files stay readable", async () => {
    const vm = await provider.instances.boot(baseImage(), { metadata: { suite: "reliability-killed" } });
    await provider.processes.start(vm.id, "/usr/bin/sleep", { name: "victim", args: ["600"] });
    await provider.files.writeFile(vm.id, "/tmp/kept.txt", "kept");
    // The leak check's PM2 detector sees this instance's daemon (so it can see a leaked one).
    expect(listPm2Daemons().filter((d) => d.containerId === vm.id).length, "PM2 daemon of the instance").toBe(1);
    // While the instance runs, a command's own 137 (SIGKILL) or 126 is its result, not an error:
    // only an instance that went away turns these codes into CONFLICT.
    expect((await provider.instances.exec(vm.id, ["sh", "-c", "kill -9 $$"])).exit_code).toBe(137);
    expect((await provider.instances.exec(vm.id, ["sh", "-c", "exit 126"])).exit_code).toBe(126);

    let firstTick!: () => void;
    const ticking = new Promise<void>((resolve) => (firstTick = resolve));
    const inFlight = {
      exec: settle(() => provider.instances.exec(vm.id, ["sleep", "300"])),
      execWithTimeout: settle(() => provider.instances.exec(vm.id, ["sleep", "300"], { timeoutMs: 120_000 })),
      execStream: settle(async () => {
        for await (const chunk of provider.instances.execStream(vm.id, ["sh", "-c", "while :; do echo tick; sleep 0.1; done"])) {
          if (chunk.type === "stdout") firstTick();
          if (chunk.type === "exit") return chunk.exit_code;
        }
        return "no exit chunk";
      }),
      writeFileAtomic: settle(() => provider.files.writeFileAtomic(vm.id, "/tmp/big.bin", Buffer.alloc(128 * 1024 * 1024, 1))),
    };
    await ticking;
    await docker.getContainer(vm.id).kill();
    const settled = Object.fromEntries(await Promise.all(Object.entries(inFlight).map(async ([k, p]) => [k, await p] as const)));
    log.inFlight = Object.fromEntries(Object.entries(settled).map(([k, v]) => [k, v.outcome === "ok" ? `ok ${JSON.stringify(v.value)}` : v.outcome]));
    for (const [name, r] of Object.entries(settled)) {
      // Not the kill's exit code 137 as a result, not the runtime's "cannot exec in a stopped
      // state" as output, not INTERNAL: the provider checks the instance when a command ends
      // with 137 or 126 and reports that it stopped.
      expect(r.outcome, `${name}: ${r.message ?? JSON.stringify(r.value)}`).toBe("CONFLICT");
      expect(r.message, name).toMatch(/stopped while the command ran|is not running/);
    }

    // The instance's PM2 daemon ended with the container (what the run's PM2 leak check relies on).
    expect(await waitFor(() => !listPm2Daemons().some((d) => d.containerId === vm.id)), "PM2 daemon still alive after docker kill").toBe(true);

    const got = await provider.instances.get(vm.id);
    expect(got.status).toBe("stopped");
    expect((await provider.instances.list({ metadata: { suite: "reliability-killed" }, status: "stopped" })).map((i) => i.id)).toEqual([vm.id]);

    const after = {
      exec: await settle(() => provider.instances.exec(vm.id, ["true"])),
      execStream: await settle(async () => {
        for await (const chunk of provider.instances.execStream(vm.id, ["true"])) void chunk;
      }),
      writeFileAtomic: await settle(() => provider.files.writeFileAtomic(vm.id, "/tmp/x", "x")),
      fileExists: await settle(() => provider.files.fileExists(vm.id, "/tmp/kept.txt")),
      listDirectory: await settle(() => provider.files.listDirectory(vm.id, "/tmp")),
      processesList: await settle(() => provider.processes.list(vm.id)),
    };
    log.after = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v.outcome]));
    for (const [name, r] of Object.entries(after)) {
      expect(r.outcome, `${name} on a killed instance: ${r.message ?? ""}`).toBe("CONFLICT");
      expect(r.message, name).toContain("is not running");
    }
    // A stopped instance keeps its files, and the engine's archive API reads them (README: stop).
    expect(await provider.files.readFile(vm.id, "/tmp/kept.txt")).toBe("kept");

    await provider.instances.terminate(vm.id);
    expect((await settle(() => provider.instances.get(vm.id))).outcome).toBe("NOT_FOUND");
  });

  it("an instance created for ttl_action terminate (AutoRemove) is gone after a kill: get, exec, readFile, terminate are NOT_FOUND, list omits it", async () => {
    const vm = await provider.instances.boot(baseImage(), { ttl_seconds: 900, ttl_action: "terminate", metadata: { suite: "reliability-killed-auto" } });
    let firstTick!: () => void;
    const ticking = new Promise<void>((resolve) => (firstTick = resolve));
    const stream = settle(async () => {
      for await (const chunk of provider.instances.execStream(vm.id, ["sh", "-c", "while :; do echo tick; sleep 0.1; done"])) {
        if (chunk.type === "stdout") firstTick();
        if (chunk.type === "exit") return chunk.exit_code;
      }
      return "no exit chunk";
    });
    await ticking;
    await docker.getContainer(vm.id).kill();
    const inFlight = await stream;
    log.autoRemoveInFlight = inFlight.outcome === "ok" ? `ok ${JSON.stringify(inFlight.value)}` : inFlight.outcome;
    // CONFLICT, or NOT_FOUND when the engine already removed it when the provider looked.
    expect(["CONFLICT", "NOT_FOUND"], `${inFlight.message ?? JSON.stringify(inFlight.value)}`).toContain(inFlight.outcome);

    // The engine removes it asynchronously after the kill.
    let got = await settle(() => provider.instances.get(vm.id));
    // No count bound: a loaded engine removes it late (the test's timeout bounds the wait).
    while (got.outcome === "ok") {
      await new Promise((r) => setTimeout(r, 100));
      got = await settle(() => provider.instances.get(vm.id));
    }
    expect(got.outcome).toBe("NOT_FOUND");
    const after = {
      exec: await settle(() => provider.instances.exec(vm.id, ["true"])),
      readFile: await settle(() => provider.files.readFile(vm.id, "/etc/hostname")),
      writeFileAtomic: await settle(() => provider.files.writeFileAtomic(vm.id, "/tmp/x", "x")),
      terminate: await settle(() => provider.instances.terminate(vm.id)),
    };
    log.autoRemoveAfter = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v.outcome]));
    for (const [name, r] of Object.entries(after)) expect(r.outcome, `${name}: ${r.message ?? ""}`).toBe("NOT_FOUND");
    expect(await provider.instances.list({ metadata: { suite: "reliability-killed-auto" } })).toEqual([]);
  });
  it("a boot whose container is killed before it is ready fails with CONFLICT and leaves no container", async () => {
    // A snapshot with a saved PM2 process: its boot resurrects PM2 before it is ready, which
    // keeps the boot in flight long enough to kill its container from outside.
    const source = await provider.instances.boot(baseImage());
    await provider.processes.start(source.id, "/usr/bin/sleep", { name: "resurrected", args: ["600"] });
    const snapshot = await provider.snapshots.create(source.id);
    await provider.instances.terminate(source.id);

    const metadata = { suite: "reliability-killed-boot" };
    const boot = settle(() => provider.instances.boot(snapshot.id, { metadata }));
    const filters = { label: [`${RUN_LABEL}=${runId}`, "dev.vm.meta.suite=reliability-killed-boot"] };
    let killed = false;
    let bootSettled = false;
    void boot.finally(() => (bootSettled = true));
    // Until the container shows up or the boot is over (no count bound: a loaded engine creates it late).
    while (!killed && !bootSettled) {
      const [booting] = await docker.listContainers({ filters });
      if (booting) {
        await docker.getContainer(booting.Id).kill().catch(() => undefined);
        killed = true;
      } else await new Promise((r) => setTimeout(r, 10));
    }
    expect(killed, "never saw the booting container").toBe(true);
    const r = await boot;
    log.bootKilled = r.outcome;
    // "ok" would mean the kill came after it was ready (then it must be stopped now).
    if (r.outcome === "ok") {
      const [vm] = await provider.instances.list({ metadata });
      expect(vm?.status).toBe("stopped");
    } else {
      expect(r.outcome, r.message).toBe("CONFLICT");
      expect(r.message).toMatch(/stopped before it was ready/);
      expect(await provider.instances.list({ metadata })).toEqual([]);
    }
    for (const vm of await provider.instances.list({ metadata })) await provider.instances.terminate(vm.id);
    await provider.snapshots.delete(snapshot.id);
  });
});
