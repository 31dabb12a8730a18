import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
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
  /** Copies an image from the shared engine into this one. */
  load(image: string): Promise<void>;
  /** Removes its containers, stops it, unmounts and deletes its directory. Safe to repeat. */
  destroy(): Promise<void>;
}

async function runScript(args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await run("bash", [script, ...args], { encoding: "utf8", timeout: timeoutMs, env: process.env });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(`docker-private-engine.sh ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/**
 * A private engine in `/tmp/vm-pe-<random>`, not started yet. Call `destroy()` in `afterAll`
 * (also when `start()` failed); the integration run's teardown destroys and reports engines a
 * crashed test file left (their directory names this run's VM_TEST_RUN_ID).
 */
export function createPrivateEngine(): PrivateEngine {
  const dir = `/tmp/vm-pe-${randomBytes(6).toString("hex")}`;
  const socketPath = `${dir}/docker.sock`;
  return {
    dir,
    socketPath,
    docker: new Dockerode({ socketPath }),
    start: async () => {
      await runScript(["start", dir], 180_000);
    },
    stop: async (signal) => {
      await runScript(["stop", dir, signal], 180_000);
    },
    load: async (image) => {
      await runScript(["load", dir, image], 600_000);
    },
    destroy: async () => {
      await runScript(["destroy", dir], 300_000);
    },
  };
}
