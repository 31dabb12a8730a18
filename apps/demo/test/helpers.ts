import { execFile, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { inject } from "vitest";

// Provided by the root test-setup/global-setup.ts (declared there too; repeated so this
// package's typecheck, which does not include test-setup, knows it).
declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
  }
}

/** The base image reference the integration project's global setup resolved. */
export function baseImage(): string {
  return inject("baseImage") ?? process.env.VM_BASE_IMAGE ?? "vm-base:latest";
}

const run = promisify(execFile);

export const DEMO_DIR = join(import.meta.dirname, "..");
export const MAIN = join(DEMO_DIR, "dist", "main.js");
/** The label the CLI asks the Docker provider to put on everything of one run. */
export const RUN_LABEL = "vm-demo.run";

/**
 * Build the demo so the tests run the current source. Test files run in parallel, so the
 * build is serialised with a lock.
 */
export function buildDemo(): void {
  execFileSync("flock", ["/tmp/vm-demo-build.lock", "pnpm", "--filter", "@vm/demo", "build"], { cwd: DEMO_DIR, stdio: "pipe" });
}

export interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface DemoProcess {
  /** Resolves when stderr has printed a line matching `pattern`; returns the match. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal: NodeJS.Signals): void;
  done: Promise<DemoRun>;
  stderr(): string;
}

/** Starts `node dist/main.js ...args` as a child process (no pnpm in between, so signals reach it). */
export function startDemo(args: readonly string[], env: NodeJS.ProcessEnv = {}): DemoProcess {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: DEMO_DIR,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    for (const waiter of [...waiters]) {
      const match = stderr.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  const done = new Promise<DemoRun>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    done,
    stderr: () => stderr,
    kill: (signal) => child.kill(signal),
    waitForStderr(pattern, timeoutMs = 480_000) {
      const already = stderr.match(pattern);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stderr never matched ${String(pattern)}; stderr so far:\n${stderr}`)), timeoutMs);
        const exited = () => reject(new Error(`the demo exited before stderr matched ${String(pattern)}; stderr:\n${stderr}`));
        void done.then(exited);
        waiters.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
  };
}

/** Containers and images on the engine that carry this run's label (through the Docker API socket). */
export async function leftovers(runId: string, host?: string): Promise<{ containers: string[]; images: string[] }> {
  const filter = `label=${RUN_LABEL}=${runId}`;
  const on = host === undefined ? [] : ["-H", host];
  const containers = await run("docker", [...on, "ps", "-a", "-q", "--no-trunc", "--filter", filter]);
  const images = await run("docker", [...on, "images", "-a", "-q", "--no-trunc", "--filter", filter]);
  const lines = (text: string) => text.split("\n").filter(Boolean);
  return { containers: lines(containers.stdout), images: lines(images.stdout) };
}

/** Last-resort cleanup so a failing test does not leak: removes only this run's resources. */
export async function removeLeftovers(runId: string, host?: string): Promise<void> {
  const { containers, images } = await leftovers(runId, host);
  const on = host === undefined ? [] : ["-H", host];
  if (containers.length > 0) await run("docker", [...on, "rm", "-f", "-v", ...containers]).catch(() => undefined);
  for (const image of images) await run("docker", [...on, "rmi", "-f", image]).catch(() => undefined);
}
