import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import Dockerode from "dockerode";

const run = promisify(execFile);
const script = join(import.meta.dirname, "..", "..", "scripts", "docker-private-engine.sh");

/** A Docker engine of one test file's own (scripts/docker-private-engine.sh), which it may restart or kill. */
export interface PrivateEngine {
  readonly dir: string;
  readonly socketPath: string;
  /** A client of this engine (the provider under test gets its own from `socketPath`). */
  readonly docker: Dockerode;
  /** Starts the daemon (again); resolves once it answers. */
  start(): Promise<void>;
  /** Stops the daemon with SIGTERM (it stops its containers first) or SIGKILL (it does not). */
  stop(signal: "TERM" | "KILL"): Promise<void>;
  /**
   * Freezes the daemon with SIGSTOP (only dockerd: its containerd, the shims and the containers
   * keep running): its socket still accepts connections, nothing answers. Resolves once the
   * kernel reports it stopped. Always pair with `thaw()` (in a finally / onTestFinished).
   */
  freeze(): Promise<void>;
  /** SIGCONT to the daemon; resolves once it runs again. A no-op when it is not frozen or not running. */
  thaw(): Promise<void>;
  /** Copies an image from the shared engine into this one. */
  load(image: string): Promise<void>;
  /** Removes its containers, stops it, unmounts and deletes its directory. Safe to repeat. */
  /**
   * Removes its containers, stops it, unmounts and deletes its directory. Safe to repeat.
   * `restartTimeoutS` bounds the daemon restart destroy uses to remove containers (0: it fails,
   * so the kill-what-is-left path runs).
   */
  destroy(options?: { restartTimeoutS?: number }): Promise<void>;
}

async function runScript(args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run("bash", [script, ...args], { encoding: "utf8", timeout: timeoutMs, env: { ...process.env, ...env } });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(`docker-private-engine.sh ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** The daemon's pid from its pid file, checked to be this engine's dockerd (a stale pid may be reused). */
function daemonPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${dir}/dockerd.pid`, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    return cmdline.includes("dockerd") && cmdline.includes(`${dir}/`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The process state letter from /proc/<pid>/stat ("T" when stopped), or undefined once it is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

async function waitState(pid: number, stopped: boolean): Promise<void> {
  // A deadline, not a count of 10 ms polls: reading /proc is slow on a loaded machine.
  for (const until = Date.now() + 60_000; Date.now() < until; ) {
    const state = processState(pid);
    if (state === undefined || (state === "T") === stopped) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`dockerd ${pid} did not become ${stopped ? "stopped" : "running"} within 60 s`);
}

/** Options for `createPrivateEngine`. */
export interface PrivateEngineOptions {
  /** Put the engine's data root on a tmpfs of this many MiB (a disk a test can fill). */
  dataMiB?: number;
}

/**
 * A private engine in `/tmp/vm-pe-<random>`, not started yet. Call `destroy()` in `afterAll`
 * (also when `start()` failed); the integration run's teardown destroys and reports engines a
 * crashed test file left (their directory names this run's VM_TEST_RUN_ID).
 */
export function createPrivateEngine(options: PrivateEngineOptions = {}): PrivateEngine {
  const dir = `/tmp/vm-pe-${randomBytes(6).toString("hex")}`;
  const socketPath = `${dir}/docker.sock`;
  return {
    dir,
    socketPath,
    docker: new Dockerode({ socketPath }),
    start: async () => {
      await runScript(["start", dir], 180_000, options.dataMiB === undefined ? {} : { VM_PRIVATE_ENGINE_DATA_MIB: String(options.dataMiB) });
    },
    stop: async (signal) => {
      await runScript(["stop", dir, signal], 180_000);
    },
    freeze: async () => {
      const pid = daemonPid(dir);
      if (pid === undefined) throw new Error(`the private engine in ${dir} is not running`);
      process.kill(pid, "SIGSTOP");
      await waitState(pid, true);
    },
    thaw: async () => {
      const pid = daemonPid(dir);
      if (pid === undefined) return;
      process.kill(pid, "SIGCONT");
      await waitState(pid, false);
    },
    load: async (image) => {
      await runScript(["load", dir, image], 600_000);
    },
    destroy: async (options = {}) => {
      await runScript(["destroy", dir], 300_000, options.restartTimeoutS === undefined ? {} : { VM_PRIVATE_ENGINE_TIMEOUT: String(options.restartTimeoutS) });
    },
  };
}
