import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = join(import.meta.dirname, "..", "scripts", "docker-engine.sh");

async function engineVersion(): Promise<string> {
  const { stdout } = await run("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8" });
  return stdout.trim();
}

async function dockerdPids(): Promise<string[]> {
  const { stdout } = await run("pgrep", ["-x", "dockerd"], { encoding: "utf8" }).catch(() => ({ stdout: "" }));
  return stdout.split("\n").filter(Boolean).sort();
}

describe("scripts/docker-engine.sh", () => {
  it("is idempotent when an engine already answers: exits 0 twice, starts nothing, engine still answers", async () => {
    const version = await engineVersion();
    expect(version).not.toBe("");
    const daemonsBefore = await dockerdPids();

    for (let i = 0; i < 2; i++) {
      const result = await run("bash", [script], { encoding: "utf8" });
      // Exit 0 is implied by execFile resolving; with an engine up the script has nothing to say.
      expect(result.stderr).toBe("");
    }
    // Concurrent runs too.
    await Promise.all([run("bash", [script]), run("bash", [script]), run("bash", [script])]);

    expect(await engineVersion()).toBe(version);
    expect(await dockerdPids()).toEqual(daemonsBefore);
  });

  it("fails with a clear message instead of starting a daemon for a remote DOCKER_HOST that does not answer", async () => {
    const err = await run("bash", [script], {
      encoding: "utf8",
      env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/vm-test/docker.sock" },
    }).then(
      () => undefined,
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain("DOCKER_HOST=unix:///nonexistent/vm-test/docker.sock does not answer");
  });
});
