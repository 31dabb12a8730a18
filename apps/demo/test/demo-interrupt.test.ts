import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeployResult } from "../src/index.js";
import { baseImage, buildDemo, leftovers, removeLeftovers, startDemo } from "./helpers.js";

describe("interrupting the demo on Docker", () => {
  const runIds: string[] = [];

  beforeAll(() => buildDemo(), 120_000);

  afterAll(async () => {
    for (const runId of runIds) await removeLeftovers(runId);
  });

  it("Ctrl-C (SIGINT) after the forks removes every container and image the run made, then exits 130", async () => {
    const demo = startDemo(["--json", "--image", baseImage(), "--pause-after", "fork"]);
    const [, runId] = await demo.waitForStderr(/\[demo\] run (\S+) on docker/);
    runIds.push(runId!);
    await demo.waitForStderr(/paused after step 9/);

    // Everything exists at this point: the parent, two forks, two snapshots and the fork snapshot.
    const before = await leftovers(runId!);
    expect(before.containers).toHaveLength(3);
    expect(before.images.length).toBeGreaterThanOrEqual(2);

    demo.kill("SIGINT");
    const done = await demo.done;
    expect(done.code).toBe(130);
    const result = JSON.parse(done.stdout) as DeployResult;
    expect(result.interrupted).toBe(true);
    expect(result.ok).toBe(false);
    expect(result.steps.slice(0, 8).map((s) => s.status)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]);
    const cleanup = result.steps[9]!;
    expect({ id: cleanup.id, status: cleanup.status, failed: cleanup.checks.filter((c) => !c.ok) }).toEqual({ id: "cleanup", status: "ok", failed: [] });
    expect(await leftovers(runId!)).toEqual({ containers: [], images: [] });
  }, 600_000);

  it("SIGTERM while the VM is still booting leaves nothing behind either", async () => {
    const demo = startDemo(["--json", "--image", baseImage()]);
    const [, runId] = await demo.waitForStderr(/\[demo\] run (\S+) on docker/);
    runIds.push(runId!);
    await demo.waitForStderr(/step 2\/10 boot: start/);
    demo.kill("SIGTERM");
    const done = await demo.done;
    expect(done.code).toBe(143);
    const result = JSON.parse(done.stdout) as DeployResult;
    expect(result.interrupted).toBe(true);
    // Whether the boot finished or was aborted, step 10 ran and every check in it held.
    const cleanup = result.steps.find((s) => s.id === "cleanup")!;
    expect(cleanup.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.steps.filter((s) => s.status === "skipped").map((s) => s.id)).toContain("start-app");
    expect(await leftovers(runId!)).toEqual({ containers: [], images: [] });
  }, 600_000);
});
