// Test-only plumbing: a real ExecFunction over the `docker` CLI (spawned with an argv, no
// shell) and a throwaway container from the base image. Never shipped.
import { spawn } from "node:child_process";
import type { ExecFunction, ExecResult } from "@vm/core";
import { VMError } from "@vm/provider-kit";

declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
  }
}

export const TEST_LABELS = ["dev.vm.managed=true", "dev.vm.test=pm2"];

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `docker <args>`; resolves with its output and exit code, never rejects on exit code. */
export function docker(args: readonly string[], timeoutMs = 300_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      // Like a provider's exec: a timeout is an error, not an exit code.
      if (timedOut) return reject(new VMError("TIMEOUT", `docker ${args[0] ?? ""} timed out after ${timeoutMs} ms`, { provider: "test-docker", operation: "exec" }));
      resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), code: code ?? -1 });
    });
  });
}

/** An ExecFunction whose instance ids are container ids; supports env, cwd, user and timeoutMs (not stdin). */
export const dockerExec: ExecFunction = async (instanceId, argv, options = {}): Promise<ExecResult> => {
  if (options.stdin !== undefined) throw new Error("this test exec has no stdin, like Morph's");
  const args = ["exec"];
  for (const [name, value] of Object.entries(options.env ?? {})) args.push("-e", `${name}=${value}`);
  if (options.cwd) args.push("-w", options.cwd);
  if (options.user) args.push("-u", options.user);
  args.push(instanceId, ...argv);
  const result = await docker(args, options.timeoutMs ?? 300_000);
  return { stdout: result.stdout, stderr: result.stderr, exit_code: result.code };
};

/** Starts a labelled `sleep infinity` container from `image`; returns its id. */
export async function startContainer(image: string, extra: readonly string[] = []): Promise<string> {
  const labels = TEST_LABELS.flatMap((l) => ["--label", l]);
  const run = await docker(["run", "-d", "--network", "none", ...labels, ...extra, image, "sleep", "infinity"]);
  if (run.code !== 0) throw new Error(`docker run failed: ${run.stderr}`);
  return run.stdout.trim();
}

export async function removeContainer(id: string | undefined): Promise<void> {
  if (id) await docker(["rm", "-f", "-v", id]);
}

/** Runs a command in the container as root and fails the test on a non-zero exit. */
export async function sh(id: string, script: string, env: Record<string, string> = {}): Promise<string> {
  const result = await dockerExec(id, ["sh", "-c", script], { env });
  if (result.exit_code !== 0) throw new Error(`sh failed (${result.exit_code}): ${result.stderr}`);
  return result.stdout;
}
