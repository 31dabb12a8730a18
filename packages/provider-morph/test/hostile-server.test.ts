import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger, VMProvider } from "@vm/core";
import { createMorphVMProvider, type MorphVMProviderOptions } from "@vm/provider-morph";
import { isVMError } from "@vm/provider-kit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// The Morph client against a hostile (or broken) server, over real HTTP on 127.0.0.1:
// redirects to another origin, answers that never end, answers far larger than any real one,
// answers that trickle, and an SSE stream whose one line never ends. A second server on
// another port (another origin) records whatever reaches it: nothing may. Bodies are counted
// where they are written: how many bytes the server got out before the client stopped
// reading is the client's memory bound, independent of the GC.

const API_KEY = "sk-hostile-test-key-4f1c";
const ENV_SECRET = "env-secret-value-9d2e";
const EXEC_OK = JSON.stringify({ exit_code: 0, stdout: "real\n", stderr: "" });
/** A body written this far is the old, unbounded client: the server gives up on it there. */
const SAFETY_BYTES = 96 * 1024 * 1024;
/** Liveness only: every call here must end by itself long before this (the old code did not). */
const LIVENESS_MS = 60_000;

interface Hit {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  origin: string;
  hits: Hit[];
  close(): Promise<void>;
}

type Handler = (hit: Hit, res: ServerResponse) => void | Promise<void>;

async function listen(handle: (hit: Hit, res: ServerResponse) => void | Promise<void>): Promise<TestServer> {
  const hits: Hit[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const hit = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() };
      hits.push(hit);
      void Promise.resolve(handle(hit, res)).catch(() => res.destroy());
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a body writer managed: bytes the socket accepted, and whether the client hung up first. */
interface Poured {
  bytes: number;
  closedByClient: boolean;
}

/**
 * Writes `chunk` again and again (waiting for the socket to drain, as a real server does)
 * until the client closes the connection or `limit` bytes went out; `delayMs` between writes.
 */
async function pour(res: ServerResponse, chunk: Buffer, limit: number, delayMs = 0): Promise<Poured> {
  let bytes = 0;
  const closed = new Promise<void>((resolve) => res.once("close", () => resolve()));
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  while (!isClosed && bytes < limit) {
    const drained = res.write(chunk);
    bytes += chunk.length;
    if (!drained) await Promise.race([once(res, "drain"), closed]);
    if (delayMs > 0) await Promise.race([new Promise((r) => setTimeout(r, delayMs)), closed]);
  }
  const closedByClient = isClosed && !res.writableFinished;
  if (!isClosed) res.end();
  return { bytes, closedByClient };
}

let handler: Handler;
let poured: Promise<Poured> | undefined;
let api: TestServer;
let elsewhere: TestServer;
const logged: unknown[] = [];
const logger: Logger = {
  debug: (...a: unknown[]) => void logged.push(a),
  info: (...a: unknown[]) => void logged.push(a),
  warn: (...a: unknown[]) => void logged.push(a),
  error: (...a: unknown[]) => void logged.push(a),
};

/** The answer a kill exec (or anything not under test) gets: a real, short one. */
const plain: Handler = (hit, res) => {
  if (hit.method === "POST" && /\/exec$/.test(hit.url)) {
    res.writeHead(200, { "content-type": "application/json" }).end(EXEC_OK);
  } else {
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ detail: "Not found" }));
  }
};

beforeAll(async () => {
  elsewhere = await listen((hit, res) => {
    // What a thief would answer: a well-formed result the client must never accept.
    if (/\/exec\/sse/.test(hit.url)) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${JSON.stringify({ type: "stdout", content: "stolen\n" })}\n\ndata: ${JSON.stringify({ type: "exit_code", content: 0 })}\n\n`);
    } else {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ exit_code: 0, stdout: "from another origin\n", stderr: "" }));
    }
  });
  api = await listen((hit, res) => handler(hit, res));
});

afterAll(async () => {
  await api.close();
  await elsewhere.close();
});

afterEach(() => {
  handler = plain;
  poured = undefined;
  api.hits.length = 0;
  elsewhere.hits.length = 0;
});

function provider(options: MorphVMProviderOptions = {}): VMProvider {
  return createMorphVMProvider({
    baseUrl: `${api.origin}/api`,
    apiKey: API_KEY,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    timeoutMs: 20_000,
    execTimeoutMs: 20_000,
    logger,
    ...options,
  });
}

async function failure(call: () => Promise<unknown>): Promise<{ code: string; message: string; error: unknown; ms: number }> {
  const t0 = Date.now();
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = Date.now() - t0;
  if (error === undefined) return { code: "ok", message: "", error, ms };
  if (!isVMError(error)) return { code: `not a VMError: ${error instanceof Error ? error.message : typeof error}`, message: "", error, ms };
  return { code: error.code, message: error.message, error, ms };
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const chunk of stream) void chunk;
}

/** Everything a caller or an operator could see: the error (with its cause) and the log. */
function seen(error: unknown): string {
  const e = error as { message?: string; cause?: unknown; stack?: string } | undefined;
  return JSON.stringify({ message: e?.message, cause: e?.cause, stack: e?.stack, logged });
}

describe("redirects are never followed", () => {
  const calls: Record<string, { path: RegExp; call: (p: VMProvider) => Promise<unknown> }> = {
    exec: { path: /^\/api\/instance\/morphvm_1\/exec$/, call: (p) => p.instances.exec("morphvm_1", ["true"], { env: { TOKEN: ENV_SECRET } }) },
    boot: { path: /^\/api\/snapshot\/snapshot_1\/boot$/, call: (p) => p.instances.boot("snapshot_1", { timeoutMs: 20_000 }) },
    get: { path: /^\/api\/instance\/morphvm_1$/, call: (p) => p.instances.get("morphvm_1") },
    execStream: {
      path: /^\/api\/instance\/morphvm_1\/exec\/sse$/,
      call: (p) => drain(p.instances.execStream("morphvm_1", ["true"], { env: { TOKEN: ENV_SECRET } })),
    },
  };
  for (const status of [301, 302, 303, 307, 308]) {
    for (const [name, { path, call }] of Object.entries(calls)) {
      it(`${status} on ${name}: INTERNAL naming the status and the other origin only; nothing reaches it; not re-sent`, async () => {
        logged.length = 0;
        handler = (hit, res) => {
          if (path.test(hit.url)) res.writeHead(status, { location: `${elsewhere.origin}/steal/path?token=query-secret` }).end("moved");
          else void plain(hit, res);
        };
        const r = await failure(() => call(provider()));
        expect(elsewhere.hits, `${name} reached another origin`).toEqual([]);
        expect(r.code, r.message).toBe("INTERNAL");
        expect(r.message).toContain(String(status));
        expect(r.message).toContain(elsewhere.origin);
        expect(r.message).not.toContain("/steal");
        const everything = seen(r.error);
        for (const secret of ["query-secret", "/steal", API_KEY, ENV_SECRET]) expect(everything).not.toContain(secret);
        // Sent once: a redirect is not retried, and (a status answer: the command did not start) no kill exec follows.
        expect(api.hits.filter((h) => path.test(h.url))).toHaveLength(1);
        expect(api.hits).toHaveLength(1);
      });
    }
  }
});

describe("answer bodies are bounded", () => {
  const CAP = 1024 * 1024;

  function endless(path: RegExp, chunk: Buffer, limit: number, delayMs = 0, contentType = "application/json"): Handler {
    return (hit, res) => {
      if (!path.test(hit.url)) return plain(hit, res);
      res.writeHead(200, { "content-type": contentType });
      poured = pour(res, chunk, limit, delayMs);
    };
  }

  it("an endless 200 to exec: RESOURCE_EXHAUSTED at maxResponseBytes, the connection is dropped, the server wrote a bounded amount", async () => {
    handler = endless(/\/exec$/, Buffer.alloc(64 * 1024, "x"), SAFETY_BYTES);
    const before = process.memoryUsage();
    const r = await failure(() => provider({ maxResponseBytes: CAP }).instances.exec("morphvm_1", ["true"]));
    const after = process.memoryUsage();
    const p = await poured!;
    console.log(`[hostile] endless exec: server wrote ${p.bytes} bytes before the client hung up; rss +${after.rss - before.rss}, arrayBuffers +${after.arrayBuffers - before.arrayBuffers}`);
    expect(r.code, r.message).toBe("RESOURCE_EXHAUSTED");
    expect(r.message).toContain(String(CAP));
    expect(p.closedByClient).toBe(true);
    // The cap plus what the kernel's and undici's buffers hold: far below the safety stop.
    expect(p.bytes).toBeLessThan(CAP + 24 * 1024 * 1024);
  });

  it("a huge 200 with Content-Length (3x the cap) to get: RESOURCE_EXHAUSTED, not retried", async () => {
    handler = (hit, res) => {
      if (!/\/instance\/morphvm_1$/.test(hit.url)) return plain(hit, res);
      res.writeHead(200, { "content-type": "application/json", "content-length": String(3 * CAP) });
      poured = pour(res, Buffer.alloc(64 * 1024, " "), 3 * CAP);
    };
    const r = await failure(() => provider({ maxResponseBytes: CAP }).instances.get("morphvm_1"));
    await poured;
    expect(r.code, r.message).toBe("RESOURCE_EXHAUSTED");
    expect(r.message).toContain(String(CAP));
    expect(api.hits).toHaveLength(1);
  });

  it("an endless 200 as fast as the socket takes it, with timeoutMs 1000 and the default cap: TIMEOUT, the connection is dropped", async () => {
    // The server stops at 256 MiB, below the default cap: only the timeout can end the read.
    const stopAt = 256 * 1024 * 1024;
    handler = endless(/\/instance\/morphvm_1$/, Buffer.alloc(64 * 1024, " "), stopAt);
    const r = await failure(() => provider({ timeoutMs: 1000, retry: { attempts: 1 } }).instances.get("morphvm_1"));
    const p = await poured!;
    console.log(`[hostile] endless get with timeoutMs 1000: ${r.code} after ${r.ms} ms, server wrote ${p.bytes} bytes`);
    expect(r.code, r.message).toBe("TIMEOUT");
    expect(p.closedByClient).toBe(true);
    expect(p.bytes).toBeLessThan(stopAt);
    expect(r.ms).toBeLessThan(LIVENESS_MS);
  });

  it("a body of one byte per 100 ms ends at the timeout (TIMEOUT) and the connection is dropped", async () => {
    handler = endless(/\/instance\/morphvm_1$/, Buffer.from(" "), 600, 100);
    const r = await failure(() => provider({ timeoutMs: 1000, retry: { attempts: 1 } }).instances.get("morphvm_1"));
    const p = await poured!;
    console.log(`[hostile] trickle get with timeoutMs 1000: ${r.code} after ${r.ms} ms, server wrote ${p.bytes} bytes`);
    expect(r.code, r.message).toBe("TIMEOUT");
    expect(p.closedByClient).toBe(true);
    expect(p.bytes).toBeLessThan(600);
  });

  it("the caller's signal ends an exec whose answer never ends: ABORTED, the connection is dropped", async () => {
    let started!: () => void;
    const headersSent = new Promise<void>((resolve) => (started = resolve));
    const inner = endless(/\/exec$/, Buffer.from(" "), 600, 100);
    let first = true;
    handler = (hit, res) => {
      // Only the first exec never ends: the kill exec that follows an abort gets a real answer.
      if (!first) return plain(hit, res);
      first = false;
      void inner(hit, res);
      started();
    };
    const controller = new AbortController();
    void headersSent.then(() => setTimeout(() => controller.abort(new Error("caller gave up")), 200));
    const r = await failure(() => provider().instances.exec("morphvm_1", ["sleep", "1"], { signal: controller.signal }));
    const p = await poured!;
    expect(r.code, r.message).toBe("ABORTED");
    expect(p.closedByClient).toBe(true);
    expect(p.bytes).toBeLessThan(600);
  });

  it("an exec/sse stream whose one line never ends: RESOURCE_EXHAUSTED at maxEventBytes, the connection is dropped", async () => {
    let first = true;
    handler = (hit, res) => {
      if (!first || !/\/exec\/sse$/.test(hit.url)) return plain(hit, res);
      first = false;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: ");
      poured = pour(res, Buffer.alloc(64 * 1024, "x"), SAFETY_BYTES);
    };
    const r = await failure(() => drain(provider({ maxEventBytes: CAP }).instances.execStream("morphvm_1", ["true"])));
    const p = await poured!;
    console.log(`[hostile] endless SSE line: server wrote ${p.bytes} bytes before the client hung up`);
    expect(r.code, r.message).toBe("RESOURCE_EXHAUSTED");
    expect(r.message).toContain(String(CAP));
    expect(p.closedByClient).toBe(true);
    expect(p.bytes).toBeLessThan(CAP + 24 * 1024 * 1024);
  });

  it("an exec/sse stream that trickles (one byte per 100 ms) ends at execTimeoutMs (TIMEOUT)", async () => {
    let first = true;
    handler = (hit, res) => {
      if (!first || !/\/exec\/sse$/.test(hit.url)) return plain(hit, res);
      first = false;
      res.writeHead(200, { "content-type": "text/event-stream" });
      poured = pour(res, Buffer.from(":"), 600, 100);
    };
    const r = await failure(() => drain(provider({ execTimeoutMs: 1000 }).instances.execStream("morphvm_1", ["true"])));
    const p = await poured!;
    console.log(`[hostile] trickle SSE with execTimeoutMs 1000: ${r.code} after ${r.ms} ms, server wrote ${p.bytes} bytes`);
    expect(r.code, r.message).toBe("TIMEOUT");
    expect(p.closedByClient).toBe(true);
    expect(p.bytes).toBeLessThan(600);
  });
});
