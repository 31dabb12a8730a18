import { EventEmitter, once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import Dockerode from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { fromDockerError } from "./errors.js";
import { createDockerVMProvider } from "./provider.js";
import { DockerRequestTimeoutError, REQUEST_TIMEOUT_CODE, requestBound, withRequestTimeouts } from "./request-timeout.js";

// A real HTTP server on a real Unix socket stands in for the engine: each test decides which
// requests it answers, and when. "Never answers" is the frozen-engine fault itself.
//
// Timing rule (a loaded CI machine stalls this process for hundreds of ms): a bound that MUST
// fire gets a short timeout only where nothing it watches ever answers (NEVER_ANSWERED_MS); a
// bound that must NOT fire gets GENEROUS_MS, and the test waits for events (requests the engine
// received, a call that timed out, a stream that closed), never for a fixed sleep.
const NEVER_ANSWERED_MS = 150;
const GENEROUS_MS = 2_000;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface FakeEngine {
  socketPath: string;
  open: () => number;
  requests: string[];
  /** Resolves once the engine has received `count` requests `METHOD /path` (no version prefix, no query). */
  received: (request: string, count?: number) => Promise<void>;
  /** Resolves once every connection to the engine is closed (the client aborted its requests). */
  allClosed: () => Promise<void>;
}

async function fakeEngine(handler: Handler): Promise<FakeEngine> {
  const dir = mkdtempSync(join(tmpdir(), "vm-rt-"));
  const socketPath = join(dir, "engine.sock");
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const events = new EventEmitter();
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url?.replace(/^\/v[\d.]+/, "").split("?")[0]}`);
    handler(req, res);
    events.emit("change");
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => {
      sockets.delete(s);
      events.emit("change");
    });
  });
  const until = async (ok: () => boolean) => {
    while (!ok()) await once(events, "change");
  };
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    socketPath,
    open: () => sockets.size,
    requests,
    received: (request, count = 1) => until(() => requests.filter((r) => r === request).length >= count),
    allClosed: () => until(() => sockets.size === 0),
  };
}

/**
 * Counts the requests `docker`'s own modem dials (a bounded view sends through it, looked up per
 * call); `answered(request, n)` resolves once the client has had the headers of `n` such answers.
 */
function watchDials(docker: Dockerode): { count: (request: string) => number; answered: (request: string, count?: number) => Promise<void> } {
  const modem = (docker as unknown as { modem: { dial: (options: { method: string; path: string }, cb: (err: unknown, data?: unknown) => void) => unknown } }).modem;
  const dial = modem.dial.bind(modem);
  const dialled: string[] = [];
  const answers: string[] = [];
  const events = new EventEmitter();
  modem.dial = (options, cb) => {
    const request = `${options.method} ${options.path.split("?")[0]}`;
    dialled.push(request);
    return dial(options, (err, data) => {
      cb(err, data);
      if (err) return;
      answers.push(request);
      events.emit("answer");
    });
  };
  const answered = async (request: string, count = 1) => {
    while (answers.filter((r) => r === request).length < count) await once(events, "answer");
  };
  return { count: (request) => dialled.filter((r) => r === request).length, answered };
}

const silent: Handler = () => undefined;
const json = (res: ServerResponse, body: unknown) => {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
};

describe("requestBound", () => {
  it.each([
    ["GET", "/containers/abc/json?", {}, "answer"],
    ["GET", "/containers/json?", {}, "answer"],
    ["POST", "/containers/create?", {}, "answer"],
    ["POST", "/containers/abc/start?", {}, "answer"],
    ["POST", "/containers/abc/exec", {}, "answer"],
    ["GET", "/exec/e1/json", {}, "answer"],
    ["GET", "/images/vm-base:latest/json", {}, "answer"],
    ["POST", "/images/vm-base:latest/tag?", {}, "answer"],
    ["POST", "/exec/e1/start", { isStream: true, hijack: true, openStdin: true }, "setup"],
    ["GET", "/containers/abc/logs?", { isStream: true }, "setup"],
    ["GET", "/containers/abc/archive?", { isStream: true }, "download"],
    ["POST", "/commit?", {}, "liveness"],
    ["POST", "/containers/abc/stop?", {}, "liveness"],
    ["POST", "/containers/abc/wait?", {}, "liveness"],
    ["DELETE", "/containers/abc?", {}, "liveness"],
    ["DELETE", "/images/vm-snapshot:1234?", {}, "liveness"],
    ["PUT", "/containers/abc/archive?", { file: {} }, "liveness"],
  ] as const)("%s %s -> %s", (method, path, extra, bound) => {
    expect(requestBound({ method, path, ...extra })).toBe(bound);
  });
});

describe("withRequestTimeouts on a socket that accepts and never answers", () => {
  it("fails a short call with the timeout error, and closes its connection", async () => {
    const engine = await fakeEngine(silent);
    const docker = withRequestTimeouts(new Dockerode({ socketPath: engine.socketPath }), NEVER_ANSWERED_MS);
    const err: unknown = await docker.getContainer("abc").inspect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerRequestTimeoutError);
    expect(err).toMatchObject({ code: REQUEST_TIMEOUT_CODE, request: "GET /containers/abc/json", timeoutMs: NEVER_ANSWERED_MS });
    const vmErr = fromDockerError(err, { operation: "instances.get", subject: "instance abc" });
    expect(vmErr.code).toBe("UNAVAILABLE");
    expect(vmErr.message).toBe("Docker engine did not answer GET /containers/abc/json within 150 ms (requestTimeoutMs)");
    expect(vmErr.cause).toBe(err);
    // The request was aborted, not left open on the engine (an open one would hang the test here).
    await engine.allClosed();
    expect(engine.open()).toBe(0);
  });

  it("keeps a caller's abort an abort (ABORTED), not a timeout", async () => {
    const engine = await fakeEngine(silent);
    const docker = withRequestTimeouts(new Dockerode({ socketPath: engine.socketPath }), 600_000);
    // The caller aborts once the engine holds the request (an event, not a timer racing the bound).
    const controller = new AbortController();
    const pending = docker
      .getContainer("abc")
      .inspect({ abortSignal: controller.signal } as object)
      .catch((e: unknown) => e);
    await engine.received("GET /containers/abc/json");
    controller.abort();
    const err = await pending;
    expect(err).not.toBeInstanceOf(DockerRequestTimeoutError);
    expect(fromDockerError(err, { operation: "instances.get" }).code).toBe("ABORTED");
  });

  it("leaves the caller's Dockerode unbounded and still sends through its dial", async () => {
    const engine = await fakeEngine(silent);
    const original = new Dockerode({ socketPath: engine.socketPath });
    const modem = (original as unknown as { modem: { dial: (...args: unknown[]) => unknown } }).modem;
    const dial = modem.dial.bind(modem);
    const bounded = withRequestTimeouts(original, 100);
    // Installed after the view was made, like test/reliability/support.ts's counter.
    let counted = 0;
    modem.dial = (...args: unknown[]) => {
      counted++;
      return dial(...args);
    };
    await expect(bounded.listContainers()).rejects.toBeInstanceOf(DockerRequestTimeoutError);
    expect(counted).toBe(1);
    const controller = new AbortController();
    let settled = false;
    const unbounded = original
      .listContainers({ abortSignal: controller.signal } as object)
      .catch((e: unknown) => e)
      .finally(() => (settled = true));
    // The clock: a bounded call started after it times out, so the bound has passed for the unbounded one too.
    await expect(bounded.listContainers()).rejects.toBeInstanceOf(DockerRequestTimeoutError);
    expect(settled).toBe(false);
    controller.abort();
    expect(fromDockerError(await unbounded, { operation: "x" }).code).toBe("ABORTED");
  });
});

describe("withRequestTimeouts per kind of call", () => {
  it("a stream is bounded until its response starts, not while it is quiet afterwards", async () => {
    const engine = await fakeEngine((req, res) => {
      if (req.url?.includes("/quiet/")) {
        res.writeHead(200, { "Content-Type": "application/vnd.docker.raw-stream" });
        res.flushHeaders();
      }
      // "/frozen/": no answer at all.
    });
    // Generous: the quiet stream's headers must arrive within the bound even on a loaded machine.
    const docker = withRequestTimeouts(new Dockerode({ socketPath: engine.socketPath }), GENEROUS_MS);
    const stream = (await docker.getContainer("quiet").logs({ follow: true, stdout: true })) as unknown as Readable;
    let failed: unknown;
    stream.on("error", (e) => (failed = e));
    // The frozen stream, asked for after the quiet one started, is the clock: once it timed out
    // the quiet one has been quiet for longer than the bound.
    const err: unknown = await docker
      .getContainer("frozen")
      .logs({ follow: true, stdout: true })
      .catch((e: unknown) => e);
    expect(fromDockerError(err, { operation: "instances.boot" }).message).toBe(`Docker engine did not answer GET /containers/frozen/logs within ${GENEROUS_MS} ms (requestTimeoutMs)`);
    await new Promise((r) => setImmediate(r));
    expect(failed).toBeUndefined();
    expect(stream.destroyed).toBe(false);
    stream.destroy();
  });

  it("a long call (commit) outlives requestTimeoutMs while the engine answers pings", async () => {
    const engine = await fakeEngine((req, res) => {
      if (req.url?.endsWith("/_ping")) res.end("OK");
      // The commit answers once a second ping came: the first was answered in time (else the call
      // failed and no second one came), and the commit has outlived the bound twice over.
      else if (req.url?.includes("/commit")) void engine.received("GET /_ping", 2).then(() => json(res, { Id: "sha256:abc" }));
    });
    const docker = withRequestTimeouts(new Dockerode({ socketPath: engine.socketPath }), GENEROUS_MS);
    await expect(docker.getContainer("abc").commit({})).resolves.toEqual({ Id: "sha256:abc" });
    expect(engine.requests.filter((r) => r === "GET /_ping").length).toBeGreaterThan(1);
  });

  it("a long call fails once a ping goes unanswered", async () => {
    const engine = await fakeEngine(silent);
    const docker = withRequestTimeouts(new Dockerode({ socketPath: engine.socketPath }), NEVER_ANSWERED_MS);
    // Nothing here ever answers, so the message (not a stopwatch) says what ended the call: the ping.
    const err: unknown = await docker
      .getContainer("abc")
      .stop({ t: 5 })
      .catch((e: unknown) => e);
    const vmErr = fromDockerError(err, { operation: "instances.stop" });
    expect(vmErr.code).toBe("UNAVAILABLE");
    expect(vmErr.message).toBe(`Docker engine did not answer a liveness ping (GET /_ping) during POST /containers/abc/stop within ${NEVER_ANSWERED_MS} ms (requestTimeoutMs)`);
    await engine.allClosed();
    expect(engine.open(), "the stop request and the ping were both aborted").toBe(0);
  });
});

describe("the provider on a socket that never answers", () => {
  it("get, list and exec fail UNAVAILABLE with the timeout message", async () => {
    const engine = await fakeEngine(silent);
    const provider = createDockerVMProvider({ docker: { socketPath: engine.socketPath }, requestTimeoutMs: 100 });
    for (const call of [() => provider.instances.get("abc"), () => provider.instances.list(), () => provider.instances.exec("abc", ["true"])]) {
      await expect(call()).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/^Docker engine did not answer .+ within 100 ms \(requestTimeoutMs\)$/) as unknown });
    }
  });
});

describe("withRequestTimeouts on an archive download", () => {
  // Headers and the first bytes of an archive, then nothing: the engine froze mid-download.
  const stalled = (answersPings: boolean): Handler => (req, res) => {
    if (req.url?.endsWith("/_ping")) {
      if (answersPings) res.end("OK");
      return;
    }
    res.writeHead(200, { "Content-Type": "application/x-tar" });
    res.write(Buffer.alloc(512, 1));
  };

  it("fails the stream once a liveness ping goes unanswered mid-download", async () => {
    const engine = await fakeEngine(stalled(false));
    // Generous: the download's headers must arrive within the bound; the ping never answers.
    const docker = withRequestTimeouts(new Dockerode({ socketPath: engine.socketPath }), GENEROUS_MS);
    const stream = (await docker.getContainer("abc").getArchive({ path: "/big" })) as unknown as Readable;
    const err = await new Promise<unknown>((resolve) => {
      stream.on("data", () => undefined);
      stream.on("error", resolve);
      stream.on("end", () => resolve("ended"));
    });
    expect(err).toBeInstanceOf(DockerRequestTimeoutError);
    expect(fromDockerError(err, { operation: "files.readFile" }).message).toBe(
      `Docker engine did not answer a liveness ping (GET /_ping) during GET /containers/abc/archive within ${GENEROUS_MS} ms (requestTimeoutMs)`,
    );
  });

  it("a slow download lives on while the engine answers pings, and its pings stop with it", async () => {
    const engine = await fakeEngine(stalled(true));
    const original = new Dockerode({ socketPath: engine.socketPath });
    const dials = watchDials(original);
    // Generous: each ping's answer must arrive within the bound even on a loaded machine.
    const docker = withRequestTimeouts(original, GENEROUS_MS);
    const stream = (await docker.getContainer("abc").getArchive({ path: "/big" })) as unknown as Readable;
    let failed: unknown;
    const errored = new Promise<void>((resolve) => stream.on("error", (e) => resolve(void (failed = e))));
    stream.on("data", () => undefined);
    // A second ping means the first was answered in time; a failed stream ends the wait at once.
    await Promise.race([engine.received("GET /_ping", 2), errored]);
    expect(failed).toBeUndefined();
    expect(stream.destroyed).toBe(false);
    const pings = engine.requests.filter((r) => r === "GET /_ping").length;
    expect(pings).toBeGreaterThan(1);
    // No ping in flight when the stream closes: the client has every answer (its next ping is
    // scheduled when it reads one).
    await dials.answered("GET /_ping", dials.count("GET /_ping"));
    const closed = once(stream, "close");
    stream.destroy();
    await closed;
    const dialled = dials.count("GET /_ping");
    // The clock: a call started after the close times out after one bound, so a ping timer the
    // stream had left running (it fires one bound after the last answer) would have dialled by now.
    await expect(docker.getContainer("clock").inspect()).rejects.toBeInstanceOf(DockerRequestTimeoutError);
    expect(dials.count("GET /_ping"), "no pings after the stream closed").toBe(dialled);
  });
});

describe("withRequestTimeouts reads whole answers", () => {
  // An engine killed after it sent an answer's headers: the rest of the body never comes.
  const cutMidAnswer: Handler = (req, res) => {
    if (req.url?.endsWith("/_ping")) return res.end("OK");
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
    // Cut once the partial answer is flushed to the socket (an event, not a delay).
    res.write('{"Id":"abc","Sta', () => res.socket?.destroy());
  };

  it("a short call cut mid-answer fails ECONNRESET at once, not at requestTimeoutMs", async () => {
    const engine = await fakeEngine(cutMidAnswer);
    const docker = withRequestTimeouts(new Dockerode({ socketPath: engine.socketPath }), 600_000);
    const err: unknown = await docker.getContainer("abc").inspect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECONNRESET" });
    expect(fromDockerError(err, { operation: "instances.get" }).message).toMatch(/^Docker engine unreachable \(ECONNRESET\)\. /);
  });

  it("a long call cut mid-answer fails ECONNRESET, although the engine still answers pings", async () => {
    const engine = await fakeEngine(cutMidAnswer);
    // Generous: the pings (answered) must not end the call; only the cut may.
    const docker = withRequestTimeouts(new Dockerode({ socketPath: engine.socketPath }), GENEROUS_MS);
    const err: unknown = await docker
      .getContainer("abc")
      .remove({ force: true })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECONNRESET" });
  });

  it("a caller's abort mid-answer stays an abort", async () => {
    const engine = await fakeEngine((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
      res.write("[");
    });
    const original = new Dockerode({ socketPath: engine.socketPath });
    const dials = watchDials(original);
    const docker = withRequestTimeouts(original, 600_000);
    const controller = new AbortController();
    const headers = dials.answered("GET /containers/json");
    const pending = docker.listContainers({ abortSignal: controller.signal } as object).catch((e: unknown) => e);
    // Mid-answer for sure: the client has the headers (and is reading the body) when the caller aborts.
    await headers;
    controller.abort();
    expect(fromDockerError(await pending, { operation: "instances.list" }).code).toBe("ABORTED");
  });

  it("gives the same results and errors as docker-modem itself", async () => {
    const engine = await fakeEngine((req, res) => {
      const url = req.url ?? "";
      if (url.endsWith("/_ping")) return res.end("OK");
      if (url.includes("/containers/json")) return json(res, [{ Id: "abc", Labels: { a: "b" } }]);
      if (url.includes("/missing/")) {
        res.writeHead(404, { "Content-Type": "application/json" });
        return res.end(JSON.stringify({ message: "No such container: missing" }));
      }
      if (url.includes("/text/")) {
        res.writeHead(500, { "Content-Type": "text/plain" });
        return res.end("engine broke");
      }
      res.writeHead(204);
      res.end();
    });
    const plain = new Dockerode({ socketPath: engine.socketPath });
    const bounded = withRequestTimeouts(new Dockerode({ socketPath: engine.socketPath }), 600_000);
    const outcome = (p: Promise<unknown>): Promise<{ value?: unknown; err?: object }> =>
      p.then(
        (value) => ({ value }),
        (err: unknown) => ({ err: { ...(err as object), message: (err as Error).message } }),
      );
    const calls: ((d: Dockerode) => Promise<unknown>)[] = [
      (d) => d.ping(),
      (d) => d.listContainers({ all: true }),
      (d) => d.getContainer("missing").inspect(),
      (d) => d.getContainer("text").inspect(),
      (d) => d.getContainer("abc").start(),
      (d) => d.getContainer("missing").remove({ force: true }),
    ];
    for (const call of calls) {
      const [expected, actual] = [await outcome(call(plain)), await outcome(call(bounded))];
      expect(actual).toEqual(expected);
    }
    // The comparison means something: both kinds of outcome occurred.
    expect((await outcome(calls[1]!(bounded))).value).toEqual([{ Id: "abc", Labels: { a: "b" } }]);
    expect((await outcome(calls[2]!(bounded))).err).toMatchObject({ statusCode: 404, json: { message: "No such container: missing" } });
  });
});
