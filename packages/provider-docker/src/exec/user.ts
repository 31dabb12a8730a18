import type { ExecOptions } from "@vm/core";
import { VMError } from "@vm/provider-kit";
import { USER_LOOKUP_NONE_EXIT, USER_LOOKUP_SCRIPT, execIdentityEnv, parseUserLookup, startFailureError } from "@vm/provider-kit/internal";
import type Dockerode from "dockerode";
import type { DockerContext } from "../context.js";
import { createDemuxer } from "../demux.js";
import { fromDockerError } from "../errors.js";
import { exitCodeOf } from "./instance-ended.js";

/** What the engine is asked to run an exec as, and the identity variables the command gets. */
export interface ExecIdentity {
  /** The exec's `User`: the caller's user when it has a passwd entry, else `uid:uid`. */
  engineUser: string;
  /** `HOME`, `USER`, `LOGNAME` of the target, less those the call's `env` sets. */
  env: Record<string, string>;
}

// Bound on the lookup exec: a passwd file is read in milliseconds; an engine that takes longer
// than this is answered with UNAVAILABLE rather than a hang.
const LOOKUP_WAIT_MS = 30_000;
// A passwd entry is a few hundred bytes; more output than this is not the script's.
const LOOKUP_MAX_BYTES = 64 * 1024;

/**
 * Resolves `options.user` with one root exec that reads the container's `/etc/passwd` (as the
 * engine does), so both providers follow `@vm/provider-kit`'s identity rule: a uid without an
 * entry runs with gid = uid (the engine alone would give it gid 0, root's group), a name without
 * one is `NOT_FOUND` before anything runs, and `HOME`/`USER`/`LOGNAME` are the target's.
 */
export async function resolveExecUser(
  ctx: DockerContext,
  container: Dockerode.Container,
  options: Pick<ExecOptions, "user" | "env" | "signal">,
  operation: string,
): Promise<ExecIdentity | undefined> {
  const user = options.user;
  if (user === undefined) return undefined;
  const ectx = { provider: ctx.provider, operation };
  let stdout: string;
  let code: number;
  let timer: NodeJS.Timeout | undefined;
  try {
    const exec = await container.exec({ Cmd: ["sh", "-c", USER_LOOKUP_SCRIPT, "vm-user", user], User: "0", AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    let bytes = 0;
    const demux = createDemuxer((kind, data) => {
      bytes += data.length;
      if (kind === "stdout" && bytes <= LOOKUP_MAX_BYTES) chunks.push(data);
    });
    const onAbort = () => stream.destroy();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          stream.destroy();
          reject(new VMError("UNAVAILABLE", `the engine did not answer the user lookup within ${LOOKUP_WAIT_MS} ms`, ectx));
        }, LOOKUP_WAIT_MS);
        stream.on("data", (chunk: Buffer) => demux(chunk));
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.on("error", reject);
      });
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    if (options.signal?.aborted) throw new VMError("ABORTED", "the command was aborted before it started", { ...ectx, cause: options.signal.reason });
    stdout = Buffer.concat(chunks).toString("utf8");
    code = await exitCodeOf(exec, operation);
  } catch (err) {
    throw fromDockerError(err, { ...ectx, subject: `instance ${container.id}` });
  } finally {
    clearTimeout(timer);
  }
  if (code === USER_LOOKUP_NONE_EXIT) {
    if (!/^[0-9]+$/.test(user)) throw startFailureError("user", options, ectx);
    return { engineUser: `${user}:${user}`, env: execIdentityEnv(undefined, user, options.env) };
  }
  const entry = code === 0 ? parseUserLookup(stdout) : undefined;
  if (!entry) throw new VMError("INTERNAL", `looking up user ${JSON.stringify(user)} in the instance failed (exit code ${code})`, ectx);
  return { engineUser: user, env: execIdentityEnv(entry, user, options.env) };
}
