// The demo's Docker run, as a function of the engine that serves the Docker API: Docker's own
// (demo-docker.test.ts) and Podman's (demo-podman.test.ts), each with its DOCKER_HOST.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeployResult } from "../src/index.js";
import { baseImage, buildDemo, leftovers, removeLeftovers, startDemo } from "./helpers.js";

const EXPECTED_STEPS = ["snapshot-base", "boot", "write-config", "write-server", "start-app", "http-check", "host-fetch", "inspect", "fork", "cleanup"];

/** Runs `vm-demo --json --image <base>` with `env` (e.g. `DOCKER_HOST`) and checks its report and the engine at `host`. */
export function describeDemoOnEngine(engine: string, env: () => NodeJS.ProcessEnv, host: () => string | undefined = () => undefined): void {
  describe(`the demo on ${engine}, run as \`vm-demo --json\``, () => {
    const runIds: string[] = [];
    let result: DeployResult;
    let exitCode: number | null;
    let stderr: string;

    beforeAll(async () => {
      buildDemo();
      const demo = startDemo(["--json", "--image", baseImage()], env());
      const [, runId] = await demo.waitForStderr(/\[demo\] run (\S+) on docker/);
      runIds.push(runId!);
      const done = await demo.done;
      exitCode = done.code;
      stderr = done.stderr;
      result = JSON.parse(done.stdout) as DeployResult;
    }, 600_000);

    afterAll(async () => {
      for (const runId of runIds) await removeLeftovers(runId, host());
    });

    it("prints only JSON on stdout and exits 0", () => {
      expect({ exitCode, ok: result.ok, stderrTail: stderr.split("\n").slice(-12) }).toMatchObject({ exitCode: 0, ok: true });
      expect(result.provider).toBe("docker");
      expect(result.interrupted).toBe(false);
    });

    it("ran all ten steps, each ok with every check held and a duration", () => {
      expect(result.steps.map((s) => s.id)).toEqual(EXPECTED_STEPS);
      for (const step of result.steps) {
        expect({ step: step.id, status: step.status, failed: step.checks.filter((c) => !c.ok) }).toEqual({ step: step.id, status: "ok", failed: [] });
        expect(step.checks.length).toBeGreaterThan(0);
        expect(step.durationMs).toBeGreaterThan(0);
      }
    });

    it("booted with the TTL and wrote the config with mode 600", () => {
      const boot = result.steps.find((s) => s.id === "boot")!;
      expect(boot.details.ttl).toEqual({ seconds: 600, action: "terminate" });
      expect(result.steps.find((s) => s.id === "snapshot-base")!.details.resources).toEqual({ vcpus: 2, memoryMb: 2048, diskMb: 8192 });
      expect(result.steps.find((s) => s.id === "write-config")!.details.mode).toBe("600");
    });

    it("got HTTP answers from both cluster workers inside the VM", () => {
      const probe = result.steps.find((s) => s.id === "http-check")!.details.probe as { responses: { status: number; body: { message: string; worker: string; appEnv: string } }[] };
      expect(new Set(probe.responses.map((r) => r.body.worker))).toEqual(new Set(["0", "1"]));
      for (const response of probe.responses) expect(response).toMatchObject({ status: 200, body: { message: "Hello from the parent VM", appEnv: "demo" } });
    });

    it("got HTTP answers from both cluster workers from this machine through the exposed URL", () => {
      const step = result.steps.find((s) => s.id === "host-fetch")!;
      const service = step.details.service as { name: string; port: number; url: string };
      expect(service).toMatchObject({ name: "demo-app", port: 3000 });
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      const answers = step.details.answers as { status: number; body: { message: string; worker: string; appEnv: string } }[];
      expect(new Set(answers.map((a) => a.body.worker))).toEqual(new Set(["0", "1"]));
      for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: { message: "Hello from the parent VM", appEnv: "demo" } });
    });

    it("showed two online workers and their log lines", () => {
      const inspect = result.steps.find((s) => s.id === "inspect")!;
      const processes = inspect.details.processes as { name: string; status: string; exec_mode: string }[];
      expect(processes.filter((p) => p.name === "demo-app").map((p) => [p.status, p.exec_mode])).toEqual([
        ["online", "cluster"],
        ["online", "cluster"],
      ]);
      expect((inspect.details.logs as { out: string[] }).out.join("\n")).toMatch(/serving "Hello from the parent VM"/);
    });

    it("forked twice and each fork served its own config", () => {
      const fork = result.steps.find((s) => s.id === "fork")!;
      const perFork = fork.details.perFork as { id: string; message: string; probe: { responses: { body: { message: string } }[] } }[];
      expect(perFork.map((f) => f.message)).toEqual(["Hello from fork 1", "Hello from fork 2"]);
      for (const f of perFork) {
        expect(f.probe.responses.length).toBeGreaterThan(0);
        expect(new Set(f.probe.responses.map((r) => r.body.message))).toEqual(new Set([f.message]));
      }
      expect(result.created.instances).toHaveLength(3);
      // The base snapshot, the snapshot of the running app, and any snapshot the fork left
      // (Docker's own fork snapshot is released by the provider; step 10 sees it already gone).
      expect(result.created.snapshots.length).toBeGreaterThanOrEqual(2);
      expect(result.steps.find((s) => s.id === "cleanup")!.details.removed).toHaveLength(result.created.instances.length + result.created.snapshots.length);
    });

    it("left no container or image of this run on the engine", async () => {
      expect(await leftovers(runIds[0]!, host())).toEqual({ containers: [], images: [] });
    });
  });
}
