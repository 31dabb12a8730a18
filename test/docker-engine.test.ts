import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
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

  it("starts dockerd with the agreed flags when no engine answers, then is a no-op", async () => {
    // A private mount and PID namespace hides the running engine (its socket under /run, its state under
    // /var/lib/docker) and its processes, so the script sees a machine with no engine. Leaving the
    // namespace ends the daemon it started; the real engine is never touched.
    const dir = await mkdtemp(join(tmpdir(), "vm-engine-start-"));
    const inner = `
      set -eu
      mount -t tmpfs tmpfs /run
      mount -t tmpfs tmpfs /var/lib/docker
      mkdir -p /run/lock
      if docker info >/dev/null 2>&1; then echo "engine still visible" >&2; exit 97; fi
      bash "$1"
      docker info --format 'first {{.ServerVersion}} {{.Containers}}'
      bash "$1"
      echo "second ok"
      pgrep -a -x dockerd
    `;
    try {
      const { stdout } = await run("unshare", ["-m", "-p", "-f", "--mount-proc", "--propagation", "private", "bash", "-c", inner, "bash", script], {
        encoding: "utf8",
        timeout: 180_000,
        env: {
          ...process.env,
          DOCKER_HOST: "",
          VM_DOCKERD_LOG: join(dir, "dockerd.log"),
          VM_DOCKER_ENGINE_LOCK: join(dir, "lock"),
          VM_DOCKER_START_TIMEOUT: "120",
        },
      });
      const lines = stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^first \S+ 0$/);
      expect(lines[1]).toBe("second ok");
      // Exactly one daemon, started with the flags this machine needs.
      expect(lines.slice(2)).toHaveLength(1);
      expect(lines[2]).toMatch(/dockerd --bridge=none --iptables=false --ip6tables=false$/);
      expect(await readFile(join(dir, "dockerd.log"), "utf8")).toContain("API listen on /var/run/docker.sock");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The real engine is still the one that answers.
    expect(await engineVersion()).not.toBe("");
  });
});
