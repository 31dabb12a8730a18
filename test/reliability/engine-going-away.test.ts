import { randomUUID } from "node:crypto";
import { createDockerVMProvider } from "@vm/provider-docker";
import { isVMError } from "@vm/provider-kit";
import Dockerode from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { type SocketProxy, createSocketProxy } from "./socket-proxy.js";
import { RUN_LABEL, baseImage, codeOf } from "./support.js";

// A boot in flight while dockerd shuts down. dockerd closes its API listener first (its socket
// is unlinked), then stops its containers, so a boot's open connections still get answers, odd
// ones: a container whose init "exited" with its status before the ready line (a CI run saw
// exit 2 and reported INTERNAL "does the image have /bin/sh?"), or a start refused on the
// engine's closed network store with "failed to update the store state of sandbox: open : no
// such file or directory" (reported NOT_FOUND then, seen while reproducing that run; INTERNAL
// since a file missing on the engine's host is no longer mistaken for the caller's object).
// Both are the engine going away: the boot must fail UNAVAILABLE, as every other call in
// flight does.
//
// A real proxy in front of the shared engine stops listening at the start request, as dockerd
// does, and answers it with the engine's own shutdown-time answer (a state a test cannot put a
// real engine in on cue). The control: the same answer from an engine that still listens keeps
// its code, so the boot does not call every failure the engine's going away.

const runId = randomUUID();
const CASE_LABEL = "vm.test.going-away-case";
const docker = new Dockerode();
const proxies: SocketProxy[] = [];
const START = /^POST \/(v[0-9.]+\/)?containers\/[0-9a-f]{64}\/start/;
const SHUTDOWN_ANSWER = JSON.stringify({ message: "failed to update the store state of sandbox: failed to update store for object type *libnetwork.sbState: open : no such file or directory" });
const answer500 = `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(SHUTDOWN_ANSWER) + 1}\r\nConnection: close\r\n\r\n${SHUTDOWN_ANSWER}\n`;

afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
  const containers = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
});

/** Boots through a proxy that answers the start request with the engine's shutdown-time 500, and stops listening then when `goingAway`. */
async function bootWithStartAnswered(goingAway: boolean): Promise<{ err: unknown; starts: number }> {
  let starts = 0;
  const proxy: SocketProxy = await createSocketProxy(`going-away-${proxies.length}`, {
    decide: (head) => {
      if (!START.test(head)) return "forward";
      starts++;
      if (goingAway) proxy.stopListening();
      return { answer: answer500 };
    },
  });
  proxies.push(proxy);
  const provider = createDockerVMProvider({ docker: { socketPath: proxy.socketPath }, labels: { [RUN_LABEL]: runId, [CASE_LABEL]: String(goingAway) } });
  const err = await provider.instances.boot(baseImage()).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, starts };
}

describe("a boot in flight while the engine shuts down", () => {
  it("a start refused by an engine that no longer accepts connections is UNAVAILABLE, with the engine's answer kept", async () => {
    const { err, starts } = await bootWithStartAnswered(true);
    expect(starts, "the fault was not made").toBe(1);
    expect(codeOf(err)).toBe("UNAVAILABLE");
    expect(isVMError(err) && err.message).toMatch(/^the Docker engine went away during the call \(it no longer accepts connections; it answered: .*failed to update the store state of sandbox/);
    const cause = isVMError(err) ? err.cause : undefined;
    expect(codeOf(cause), "the engine's answer, as the engine's code, is the cause").toBe("INTERNAL");
  });

  it("control: the same answer from an engine that still listens keeps its code, and the container is removed", async () => {
    const { err, starts } = await bootWithStartAnswered(false);
    expect(starts, "the fault was not made").toBe(1);
    expect(codeOf(err)).toBe("INTERNAL");
    expect(isVMError(err) && err.message).toMatch(/failed to update the store state of sandbox/);
    // The engine was there: the boot cleaned up after itself.
    expect(await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`, `${CASE_LABEL}=false`] } })).toEqual([]);
  });
});
