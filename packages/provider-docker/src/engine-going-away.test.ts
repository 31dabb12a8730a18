import { rmSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VMError } from "@vm/provider-kit";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineRefusesConnections, unlessEngineWentAway } from "./engine-going-away.js";

const listening = join(tmpdir(), `vm-going-away-${process.pid}.sock`);
const gone = join(tmpdir(), `vm-going-away-gone-${process.pid}.sock`);
let server: Server;

beforeAll(async () => {
  rmSync(listening, { force: true });
  server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(listening, resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(listening, { force: true });
});

// What fromDockerError makes of the engine's shutdown-time 500 (a file missing on the engine's host: INTERNAL).
const oddAnswer = () => new VMError("INTERNAL", "instance 3f2a: failed to update the store state of sandbox: open : no such file or directory", { provider: "docker", operation: "instances.boot" });

describe("engineRefusesConnections", () => {
  it("is true for a socket that is gone and false for one that accepts", async () => {
    // A generous bound where the answer must come from the connect (a stalled machine must not turn "refused" into "unknown").
    expect(await engineRefusesConnections(new Dockerode({ socketPath: gone }), 60_000)).toBe(true);
    expect(await engineRefusesConnections(new Dockerode({ socketPath: listening }))).toBe(false);
  });

  it("is true for a TCP port nothing listens on", async () => {
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, "127.0.0.1", () => resolve((probe.address() as { port: number }).port)));
    expect(await engineRefusesConnections(new Dockerode({ host: "127.0.0.1", port }))).toBe(false);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    expect(await engineRefusesConnections(new Dockerode({ host: "127.0.0.1", port }), 60_000)).toBe(true);
  });

  it("is false (unknown) for an ssh engine", async () => {
    expect(await engineRefusesConnections(new Dockerode({ protocol: "ssh", host: "127.0.0.1", port: 1 }))).toBe(false);
  });
});

describe("unlessEngineWentAway", () => {
  it("turns an odd answer into UNAVAILABLE, keeping it as the cause, when the engine refuses connections", async () => {
    const original = oddAnswer();
    const err = await unlessEngineWentAway(new Dockerode({ socketPath: gone }), original);
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.operation).toBe("instances.boot");
    expect(err.message).toMatch(/^the Docker engine went away during the call \(it no longer accepts connections; it answered: instance 3f2a: failed/);
    expect(err.cause).toBe(original);
  });

  it("keeps the error when the engine accepts connections", async () => {
    const original = oddAnswer();
    expect(await unlessEngineWentAway(new Dockerode({ socketPath: listening }), original)).toBe(original);
  });

  it("keeps the caller's ABORTED and TIMEOUT, and INVALID_ARGUMENT, even when the engine is gone", async () => {
    for (const code of ["ABORTED", "TIMEOUT", "INVALID_ARGUMENT", "UNAVAILABLE"] as const) {
      const original = new VMError(code, "x");
      expect(await unlessEngineWentAway(new Dockerode({ socketPath: gone }), original)).toBe(original);
    }
  });
});
