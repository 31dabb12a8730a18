import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe("the demo on the Morph emulator (real HTTP, real containers)", () => {
  let emulator: ChildProcess;
  let apiUrl: string;

  beforeAll(async () => {
    buildDemo();
    execFileSync("flock", ["/tmp/vm-demo-build.lock", "pnpm", "--filter", "@vm/morph-emulator", "build"], { cwd: DEMO_DIR, stdio: "pipe" });
    emulator = spawn(process.execPath, [EMULATOR_MAIN], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", MORPH_API_KEY: API_KEY, MORPH_EMULATOR_SESSION: SESSION, VM_BASE_IMAGE: baseImage() },
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
  }, 120_000);

  it("runs every step with --provider morph --base-url ... --json, and leaves nothing behind", async () => {
    const done = await startDemo(["--provider", "morph", "--base-url", apiUrl, "--json"], { MORPH_API_KEY: API_KEY }).done;
    const result = JSON.parse(done.stdout) as DeployResult;
    expect({ code: done.code, ok: result.ok, stderrTail: done.stderr.split("\n").slice(-12) }).toMatchObject({ code: 0, ok: true });
    expect(result.provider).toBe("morph");
    expect(result.imageId).toBe("morphvm-minimal");
    expect(result.steps.map((s) => [s.id, s.status, s.checks.filter((c) => !c.ok)])).toEqual(
      ["snapshot-base", "boot", "write-config", "write-server", "start-app", "http-check", "inspect", "fork", "cleanup"].map((id) => [id, "ok", []]),
    );
    const perFork = result.steps.find((s) => s.id === "fork")!.details.perFork as { message: string }[];
    expect(perFork.map((f) => f.message)).toEqual(["Hello from fork 1", "Hello from fork 2"]);
    // The demo removed everything through the Morph API, before the emulator's own shutdown cleanup.
    expect(await sessionLeftovers()).toEqual({ containers: [], images: [] });
  }, 900_000);

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
