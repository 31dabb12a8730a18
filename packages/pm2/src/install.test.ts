import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecFunction, ExecResult } from "@vm/core";
import { describe, expect, it } from "vitest";
import { installPM2, type InstallTarget } from "./install.js";

// The "network" source cannot run here (the test containers have no network): its calls are
// checked against a transcript of what a VM with network answers (probe, network, probe).
const PATH_LINE = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const probe = (node: string, pm2: string): ExecResult => ({ stdout: `node=${node}\npm2=${pm2}\nuser=root\narch=x86_64\nlibc=glibc\nfetch=curl\n`, stderr: "", exit_code: 0 });
const TRANSCRIPT: { op: string; args: string[]; result: ExecResult }[] = [
  { op: "probe", args: ["/usr/local"], result: probe("", "") },
  { op: "network", args: ["/usr/local", "24.21.0", "7.0.4"], result: { stdout: "", stderr: `added 133 packages in 9s\n${PATH_LINE}\n`, exit_code: 0 } },
  { op: "probe", args: ["/usr/local"], result: probe("24.21.0", "7.0.4") },
];

function replay(transcript: typeof TRANSCRIPT): { target: InstallTarget; calls: string[][] } {
  const calls: string[][] = [];
  let i = 0;
  const exec: ExecFunction = (_id, argv) => {
    // argv: /bin/sh -c SCRIPT vm-pm2-install <op> <prefix> <args...>
    calls.push(argv.slice(4));
    const step = transcript[i++];
    if (!step || argv[4] !== step.op) return Promise.reject(new Error(`unexpected exec ${argv.slice(4).join(" ")}`));
    expect(argv.slice(5)).toEqual(step.args);
    return Promise.resolve(step.result);
  };
  const files = { writeFile: () => Promise.reject(new Error("network installs upload nothing")) };
  return { target: { instances: { exec }, files } as unknown as InstallTarget, calls };
}

describe("installPM2 source network (recorded transcript)", () => {
  it("downloads only what is missing, then checks what PATH finds", async () => {
    const { target, calls } = replay(TRANSCRIPT);
    expect(await installPM2(target, "vm-1", { source: "network" })).toEqual({ changed: true, node: "24.21.0", pm2: "7.0.4", uploadedBytes: 0 });
    expect(calls.map((c) => c[0])).toEqual(["probe", "network", "probe"]);
  });

  it("is a no-op when the versions are there; asks only for pm2 when node is right", async () => {
    const done = replay([{ op: "probe", args: ["/usr/local"], result: probe("24.21.0", "7.0.4") }]);
    expect(await installPM2(done.target, "vm-1", { source: "network" })).toEqual({ changed: false, node: "24.21.0", pm2: "7.0.4", uploadedBytes: 0 });
    const pm2Only = replay([
      { op: "probe", args: ["/opt/n"], result: probe("24.21.0", "") },
      { op: "network", args: ["/opt/n", "", "6.0.0"], result: { stdout: "", stderr: "", exit_code: 0 } },
      { op: "probe", args: ["/opt/n"], result: probe("24.21.0", "6.0.0") },
    ]);
    expect(await installPM2(pm2Only.target, "vm-1", { source: "network", prefix: "/opt/n", pm2Version: "6.0.0" })).toMatchObject({ changed: true, pm2: "6.0.0" });
  });

  it("a failed download is INTERNAL with the script's last lines; a PATH that still finds another node is INTERNAL naming it", async () => {
    const failed = replay([TRANSCRIPT[0]!, { op: "network", args: ["/usr/local", "24.21.0", "7.0.4"], result: { stdout: "", stderr: "neither curl nor wget is in the VM\n", exit_code: 1 } }]);
    await expect(installPM2(failed.target, "vm-1", { source: "network" })).rejects.toMatchObject({ code: "INTERNAL", message: expect.stringContaining("neither curl nor wget") as unknown });
    const shadowed = replay([TRANSCRIPT[0]!, TRANSCRIPT[1]!, { op: "probe", args: ["/usr/local"], result: probe("18.19.0", "7.0.4") }]);
    await expect(installPM2(shadowed.target, "vm-1", { source: "network" })).rejects.toMatchObject({ code: "INTERNAL", message: expect.stringContaining("finds node 18.19.0") as unknown });
  });

  it("refuses an upload to a VM that is not x86_64 glibc with UNSUPPORTED, before uploading", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vm-pm2-unit-"));
    try {
      await mkdir(join(dir, "pm2", "bin"), { recursive: true });
      await writeFile(join(dir, "pm2", "package.json"), JSON.stringify({ name: "pm2", version: "7.0.4" }));
      await writeFile(join(dir, "pm2", "bin", "pm2"), "#!/usr/bin/env node\n");
      const arm = replay([{ op: "probe", args: ["/usr/local"], result: { stdout: "node=\npm2=\nuser=root\narch=aarch64\nlibc=glibc\nfetch=\n", stderr: "", exit_code: 0 } }]);
      await expect(installPM2(arm.target, "vm-1", { pm2Directory: join(dir, "pm2"), nodeVersion: "24.21.0" })).rejects.toMatchObject({ code: "UNSUPPORTED", message: expect.stringContaining("aarch64") as unknown });
      expect(arm.calls.map((c) => c[0])).toEqual(["probe"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
