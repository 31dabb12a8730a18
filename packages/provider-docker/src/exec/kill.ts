import type { Duplex } from "node:stream";
import { type VMError } from "@vm/provider-kit";
import { buildExecKillArgv } from "@vm/provider-kit/internal";
import type Dockerode from "dockerode";
import type { DockerContext } from "../context.js";
import { fromDockerError } from "../errors.js";

// Liveness bounds of a cancel: how long it waits for the engine to start a command it has not
// started yet, and for the kill exec. A cancel never hangs on a stuck engine.
const KILL_START_WAIT_MS = 30_000;
const KILL_EXEC_WAIT_MS = 30_000;

/** Reads a helper exec's output away and resolves when its stream ends, closes or fails. */
export function drained(stream: Duplex): Promise<void> {
  return new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
    stream.resume();
  });
}

/**
 * Kills the command of `exec` and everything it started (`EXEC_KILL_SCRIPT`, as root, by its
 * `VM_EXEC_ID` tag and the session it leads). A command the engine has not started yet (a
 * timeout or abort right after `start`) is waited for first, so its tagged process exists when
 * the kill scans. The kill runs even when the command itself has ended: a background child it
 * left behind (which may hold its stdout open) must die too. Waits for the kill to finish,
 * bounded by KILL_EXEC_WAIT_MS.
 */
export async function killInContainer(ctx: DockerContext, container: Dockerode.Container, exec: Dockerode.Exec, execId: string): Promise<VMError | undefined> {
  try {
    // Pid is 0 until the engine has started the process; ExitCode is null until it ended.
    const until = Date.now() + KILL_START_WAIT_MS;
    for (;;) {
      const info = await exec.inspect();
      if (info.Pid > 0 || (!info.Running && typeof info.ExitCode === "number") || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const killer = await container.exec({
      Cmd: buildExecKillArgv(execId),
      User: "0",
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await killer.start({ hijack: true, stdin: false });
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        ctx.logger?.warn("docker: the kill exec did not finish; giving up on it", { waitedMs: KILL_EXEC_WAIT_MS });
        resolve();
      }, KILL_EXEC_WAIT_MS);
    });
    await Promise.race([drained(stream), gaveUp]);
    clearTimeout(timer);
    stream.destroy();
  } catch (err) {
    // The container may already be gone or stopped: then so is the command. An engine that
    // does not answer (frozen: requestTimeoutMs) is the one case where the command may live on.
    ctx.logger?.debug("docker: kill exec failed", { error: String(err) });
    const vmErr = fromDockerError(err, { provider: ctx.provider, operation: "exec.kill" });
    return vmErr.code === "UNAVAILABLE" ? vmErr : undefined;
  }
  return undefined;
}

