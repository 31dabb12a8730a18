import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeployResult } from "../src/index.js";
import { buildDemo, leftovers, removeLeftovers, startDemo } from "./helpers.js";

/** A failure is one line on stderr that says what to do: no stack trace. */
function expectOneClearLine(stderr: string, mustContain: string) {
  const lines = stderr.split("\n").filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^vm-demo: /);
  expect(lines[0]).toContain(mustContain);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe("demo failures are one clear line", () => {
  const runIds: string[] = [];

  beforeAll(() => buildDemo(), 120_000);

  afterAll(async () => {
    for (const runId of runIds) await removeLeftovers(runId);
  });

  it("no Docker engine: says how to start one, exits 2", async () => {
    const done = await startDemo(["--image", "vm-base:latest"], { DOCKER_HOST: "unix:///tmp/vm-demo-no-engine-here.sock" }).done;
    expect(done.code).toBe(2);
    expectOneClearLine(done.stderr, "bash scripts/docker-engine.sh");
    expect(done.stdout).toBe("");
  });

  it("no Docker engine with --json: the same line on stderr, a JSON error on stdout", async () => {
    const done = await startDemo(["--json", "--image", "vm-base:latest"], { DOCKER_HOST: "unix:///tmp/vm-demo-no-engine-here.sock" }).done;
    expect(done.code).toBe(2);
    expectOneClearLine(done.stderr, "bash scripts/docker-engine.sh");
    expect(JSON.parse(done.stdout)).toMatchObject({ ok: false, provider: "docker", error: { code: "UNAVAILABLE" } });
  });

  it("Morph without MORPH_API_KEY: says to set it, exits 2, makes no request", async () => {
    const done = await startDemo(["--provider", "morph", "--base-url", "http://127.0.0.1:9"], { MORPH_API_KEY: "" }).done;
    expect(done.code).toBe(2);
    expectOneClearLine(done.stderr, "MORPH_API_KEY");
  });

  it("bad usage: one line, exit 2", async () => {
    const done = await startDemo(["--provider", "aws"]).done;
    expect(done.code).toBe(2);
    expectOneClearLine(done.stderr, "--provider must be docker or morph");
  });

  it("an image that does not exist: step 1 fails, nothing is created, exit 1", async () => {
    const demo = startDemo(["--json", "--image", "vm-demo-no-such-image:nope"]);
    const [, runId] = await demo.waitForStderr(/\[demo\] run (\S+) on docker/);
    runIds.push(runId!);
    const done = await demo.done;
    expect(done.code).toBe(1);
    const result = JSON.parse(done.stdout) as DeployResult;
    expect(result.steps[0]).toMatchObject({ id: "snapshot-base", status: "failed", error: { code: "NOT_FOUND" } });
    expect(result.steps.slice(1, 8).every((s) => s.status === "skipped")).toBe(true);
    expect(result.steps[9]).toMatchObject({ id: "cleanup", status: "ok" });
    expect(done.stderr).toMatch(/^vm-demo: Not found: .*--image/m);
    expect(await leftovers(runId!)).toEqual({ containers: [], images: [] });
  });

});
