import { VMError } from "@vm/provider-kit";
import type Dockerode from "dockerode";
import type { DockerContext } from "../context.js";
import { fromDockerError } from "../errors.js";
import { drained } from "./kill.js";

// Bound on the probe exec below: an engine too stuck to run `exit 0` in this long gets the
// benefit of the doubt (the exit code is reported as the command's own), never a hang.
const PROBE_WAIT_MS = 10_000;

/** True when a new exec still runs in the container (`sh -c "exit 0"` exits 0), or when the probe cannot tell in time. */
async function execStillWorks(container: Dockerode.Container): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const undecided = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), PROBE_WAIT_MS)));
  const probe = (async () => {
    try {
      const exec = await container.exec({ Cmd: ["sh", "-c", "exit 0"], User: "0", AttachStdout: true, AttachStderr: true });
      await drained(await exec.start({ hijack: true, stdin: false }));
      const info = await exec.inspect();
      return !info.Running && info.ExitCode === 0;
    } catch {
      return false;
    }
  })();
  try {
    return await Promise.race([probe, undecided]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * After a command ended with 137 (SIGKILL) or 126 (the runtime could not run it), says whether
 * the instance went away under it: a container killed or stopped from outside, or by an engine
 * shutdown, ends every exec in it with 137 (the kernel kills the whole pid namespace when its
 * init dies), and an exec started while it dies fails with 126 and a runtime message. The
 * engine marks the container stopped a little later than the execs end, so "still running" is
 * confirmed with a probe exec, which cannot start in a container whose init is dead.
 * Returns the error to report, or undefined when the code is the command's own.
 */
export async function instanceEnded(ctx: DockerContext, container: Dockerode.Container, instanceId: string, operation: string, code: number): Promise<VMError | undefined> {
  const ectx = { provider: ctx.provider, operation };
  let info: Dockerode.ContainerInspectInfo;
  try {
    info = await container.inspect();
  } catch (err) {
    const vmErr = fromDockerError(err, { ...ectx, subject: `instance ${instanceId}` });
    if (vmErr.code !== "NOT_FOUND") return vmErr;
    return new VMError("NOT_FOUND", `instance ${instanceId} was removed while the command ran (exit code ${code})`, { ...ectx, cause: err });
  }
  if (info.State.Running && !info.State.Paused && (await execStillWorks(container))) return undefined;
  return new VMError("CONFLICT", `instance ${instanceId} stopped while the command ran; the command was killed with it (exit code ${code})`, ectx);
}

/** The exit code the engine reports for a finished exec (it may lag the end of the stream a little). */
export async function exitCodeOf(exec: Dockerode.Exec, operation: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && typeof info.ExitCode === "number") return info.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new VMError("INTERNAL", "the engine did not report an exit code", { provider: "docker", operation });
}

