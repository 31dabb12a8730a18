import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { DeployResult } from "../src/index.js";
import { DEMO_DIR, baseImage, buildDemo, startDemo } from "./helpers.js";

const run = promisify(execFile);
const EMULATOR_MAIN = join(DEMO_DIR, "..", "morph-emulator", "dist", "main.js");
const EMULATOR_LABEL = "morph-emulator.session";
const API_KEY = `demo-test-key-${process.pid}`;
const SESSION = `vm-demo-test-${process.pid}-${Date.now().toString(36)}`;

async function sessionLeftovers(): Promise<{ containers: string[]; images: string[] }> {
  const filter = `label=${EMULATOR_LABEL}=${SESSION}`;
  const lines = (text: string) => text.split("\n").filter(Boolean);
  const containers = await run("docker", ["ps", "-a", "-q", "--no-trunc", "--filter", filter]);
  const images = await run("docker", ["images", "-a", "-q", "--no-trunc", "--filter", filter]);
  return { containers: lines(containers.stdout), images: lines(images.stdout) };
}

declare module "vitest" {
  export interface ProvidedContext {
    minimalImage: string;
  }
}

/** pm2 as npm's global install left it in the base image (offline: the emulator's VMs have no network). */
async function pm2TreeInto(root: string): Promise<string> {
  const id = (await run("docker", ["create", "--label", "dev.vm.managed=true", baseImage()])).stdout.trim();
  try {
    await run("docker", ["cp", `${id}:/usr/local/lib/node_modules/pm2`, root]);
  } finally {
    await run("docker", ["rm", "-f", id]);
  }
  return join(root, "pm2");
}

describe("the demo on the Morph emulator (real HTTP, real containers)", () => {
  let emulator: ChildProcess;
  let apiUrl: string;
  let root = "";
  let pm2Dir = "";

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "vm-demo-pm2-"));
    pm2Dir = await pm2TreeInto(root);
    buildDemo();
    execFileSync("flock", ["/tmp/vm-demo-build.lock", "pnpm", "--filter", "@vm/morph-emulator", "build"], { cwd: DEMO_DIR, stdio: "pipe" });
    emulator = spawn(process.execPath, [EMULATOR_MAIN], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", MORPH_API_KEY: API_KEY, MORPH_EMULATOR_SESSION: SESSION, VM_BASE_IMAGE: baseImage(), VM_MINIMAL_IMAGE: inject("minimalImage") },
      stdio: ["ignore", "pipe", "inherit"],
    });
    apiUrl = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`the emulator did not start: ${out}`)), 60_000);
      emulator.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      emulator.on("exit", (code) => reject(new Error(`the emulator exited (${code}): ${out}`)));
    });
  }, 180_000);

  afterAll(async () => {
    if (emulator && emulator.exitCode === null) {
      const exited = new Promise((resolve) => emulator.on("exit", resolve));
      emulator.kill("SIGTERM");
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  }, 120_000);

  it("installs Node and PM2 into morphvm-minimal once (a snapshot by digest), runs every step, and reuses that snapshot on the next run", async () => {
    const runDemo = async () => {
      const done = await startDemo(["--provider", "morph", "--base-url", apiUrl, "--pm2-dir", pm2Dir, "--json"], { MORPH_API_KEY: API_KEY }).done;
      const result = JSON.parse(done.stdout) as DeployResult;
      const failed = result.steps.filter((s) => !s.ok).map((s) => ({ id: s.id, status: s.status, details: s.details, checks: s.checks.filter((c) => !c.ok) }));
      expect({ code: done.code, ok: result.ok, failed }, done.stderr.split("\n").slice(-12).join("\n")).toMatchObject({ code: 0, ok: true, failed: [] });
      expect(result.provider).toBe("morph");
      expect(result.imageId).toBe("morphvm-minimal");
      expect(result.steps.map((s) => [s.id, s.status, s.checks.filter((c) => !c.ok)])).toEqual(
        ["snapshot-base", "boot", "write-config", "write-server", "start-app", "http-check", "host-fetch", "inspect", "fork", "cleanup"].map((id) => [id, "ok", []]),
      );
      expect(result.steps[0]!.details.resources).toEqual({ vcpus: 2, memoryMb: 2048, diskMb: 8192 });
      const perFork = result.steps.find((s) => s.id === "fork")!.details.perFork as { message: string }[];
      expect(perFork.map((f) => f.message)).toEqual(["Hello from fork 1", "Hello from fork 2"]);
      // Step 7 reached the app from this process through the emulator's URL for Morph's HTTP service.
      const hostFetch = result.steps.find((s) => s.id === "host-fetch")!.details as { service: { url: string }; answers: { status: number; body: { worker: string } }[] };
      expect(hostFetch.service.url).toMatch(/\/_services\/morphvm_[^/]+\/demo-app\/$/);
      expect(new Set(hostFetch.answers.map((a) => a.body.worker))).toEqual(new Set(["0", "1"]));
      return result.steps[0]!.details as { digest: string; provisioned: { reused: boolean; snapshotId: string; uploadedBytes?: number; installMs?: number } };
    };

    const first = await runDemo();
    expect(first.provisioned).toMatchObject({ reused: false });
    expect(first.digest).toBe(`vm-demo-morphvm-minimal-node-${process.versions.node}-pm2-7.0.4`);
    console.log(`demo provisioning through the Morph emulator: ${((first.provisioned.uploadedBytes ?? 0) / 1048576).toFixed(1)} MiB in ${first.provisioned.installMs} ms`);
    // The demo removed everything it ran with through the Morph API; only the Node+PM2 snapshot is kept, for the next run.
    const keptOnly = async () => {
      const left = await sessionLeftovers();
      expect(left.containers).toEqual([]);
      // Its Docker image, and the image it was committed on (the deleted image snapshot's layer, which Docker keeps under it).
      const kept = await Promise.all(left.images.map(async (id) => ({ id, ancestors: (await run("docker", ["history", "-q", "--no-trunc", id])).stdout })));
      expect(kept.filter((k) => left.images.every((other) => other === k.id || k.ancestors.includes(other))).length, JSON.stringify(left)).toBeGreaterThanOrEqual(1);
      expect(left.images.length).toBeLessThanOrEqual(2);
    };
    await keptOnly();

    const second = await runDemo();
    expect(second.provisioned).toEqual({ reused: true, snapshotId: first.provisioned.snapshotId });
    await keptOnly();
  }, 1_500_000);

  it("a wrong MORPH_API_KEY is one line that says to fix the key, exit 2", async () => {
    const done = await startDemo(["--provider", "morph", "--base-url", apiUrl], { MORPH_API_KEY: "wrong-key" }).done;
    expect(done.code).toBe(2);
    const lines = done.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vm-demo: Morph rejected the API key\. Set MORPH_API_KEY/);
    expect(done.stderr).not.toContain("wrong-key");
  });

  it("a Morph URL that does not answer is one line naming it, exit 2", async () => {
    const done = await startDemo(["--provider", "morph", "--base-url", "http://127.0.0.1:9/api"], { MORPH_API_KEY: API_KEY }).done;
    expect(done.code).toBe(2);
    const lines = done.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("http://127.0.0.1:9/api");
  }, 300_000);
});
