import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createMorphClient, instanceModelSchema } from "@vm/provider-morph/internal";
import { isVMError } from "@vm/provider-kit";
import { afterEach, describe, expect, it } from "vitest";
import { INSTANCE_MODEL } from "./support/instance-model.js";

// The client's retries (ky's retry, plus the re-send of an answer that broke off) against a
// scripted server over real HTTP on 127.0.0.1: each test says what every attempt gets.

const API_KEY = "sk-retry-test-key-7b31";
/** Liveness only: far above what any call here should take, far below a 30 s Retry-After. */
const LIVENESS_MS = 15_000;
const INSTANCE = INSTANCE_MODEL;

type Step = (res: ServerResponse) => void;
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Step => (res) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A server answering its n-th request with `steps[n]` (the last one again after that). */
async function script(steps: Step[]): Promise<{ baseUrl: string; hits: string[]; firstHit: Promise<void> }> {
  const hits: string[] = [];
  let onFirst: () => void = () => undefined;
  const firstHit = new Promise<void>((resolve) => (onFirst = resolve));
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      hits.push(`${req.method} ${req.url}`);
      onFirst();
      steps[Math.min(hits.length - 1, steps.length - 1)]!(res);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, hits, firstHit };
}

const get = { method: "GET" as const, path: "instance/morphvm_1", operation: "instances.get", schema: instanceModelSchema, idempotent: true };

describe("retries over real HTTP", () => {
  it("re-sends an idempotent call through 503 and 429 (Retry-After 0) and counts every attempt", async () => {
    const server = await script([json(503, { detail: "busy" }), json(429, { detail: "slow down" }, { "retry-after": "0" }), json(200, INSTANCE)]);
    const client = createMorphClient({ apiKey: API_KEY, baseUrl: server.baseUrl, retry: { attempts: 4, baseDelayMs: 1 } });
    const { data, attempts } = await client.requestWithAttempts(get);
    expect(data.id).toBe("morphvm_1");
    expect(attempts).toBe(3);
    expect(server.hits).toHaveLength(3);
  });

  it("gives up after `attempts` with the last answer's status and detail (its body read by ky survives)", async () => {
    const server = await script([json(503, { detail: "still-busy-4a1" })]);
    const client = createMorphClient({ apiKey: API_KEY, baseUrl: server.baseUrl, retry: { attempts: 3, baseDelayMs: 1 } });
    const err = await client.request(get).catch((e: unknown) => e);
    expect(isVMError(err) && err.code).toBe("UNAVAILABLE");
    expect(String((err as Error).message)).toContain("still-busy-4a1");
    expect(server.hits).toHaveLength(3);
  });

  it("never re-sends a call that is not idempotent", async () => {
    const server = await script([json(503, { detail: "busy" }), json(200, INSTANCE)]);
    const client = createMorphClient({ apiKey: API_KEY, baseUrl: server.baseUrl, retry: { attempts: 4, baseDelayMs: 1 } });
    const err = await client.request({ ...get, method: "POST", idempotent: false }).catch((e: unknown) => e);
    expect(isVMError(err) && err.code).toBe("UNAVAILABLE");
    expect(server.hits).toHaveLength(1);
  });

  it("a 404 on a re-sent delete is success (the lost first attempt did the work)", async () => {
    const server = await script([json(503, { detail: "busy" }), json(404, { detail: "Instance morphvm_1 not found" })]);
    const client = createMorphClient({ apiKey: API_KEY, baseUrl: server.baseUrl, retry: { attempts: 4, baseDelayMs: 1 } });
    const { attempts } = await client.requestWithAttempts({ method: "DELETE", path: "instance/morphvm_1", operation: "instances.terminate", idempotent: true, goneIsSuccess: true });
    expect(attempts).toBe(2);
  });

  it("a 404 on the first attempt of a delete stays NOT_FOUND", async () => {
    const server = await script([json(404, { detail: "Instance morphvm_1 not found" })]);
    const client = createMorphClient({ apiKey: API_KEY, baseUrl: server.baseUrl, retry: { attempts: 4, baseDelayMs: 1 } });
    const err = await client.request({ method: "DELETE", path: "instance/morphvm_1", operation: "instances.terminate", idempotent: true, goneIsSuccess: true }).catch((e: unknown) => e);
    expect(isVMError(err) && err.code).toBe("NOT_FOUND");
    expect(server.hits).toHaveLength(1);
  });

  it("the caller's signal ends a Retry-After wait at once: ABORTED, nothing re-sent", async () => {
    const server = await script([json(429, { detail: "slow down" }, { "retry-after": "30" })]);
    const client = createMorphClient({ apiKey: API_KEY, baseUrl: server.baseUrl, retry: { attempts: 4, maxDelayMs: 60_000 } });
    const controller = new AbortController();
    void server.firstHit.then(() => controller.abort(new Error("caller gave up")));
    const started = Date.now();
    const err = await client.request({ ...get, signal: controller.signal }).catch((e: unknown) => e);
    expect(isVMError(err) && err.code).toBe("ABORTED");
    expect(Date.now() - started).toBeLessThan(LIVENESS_MS);
    expect(server.hits).toHaveLength(1);
  });

  it("an answer that broke off after its headers is re-sent once more for an idempotent call, within the same attempt budget", async () => {
    const cut: Step = (res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write(JSON.stringify(INSTANCE).slice(0, 20));
      setTimeout(() => res.destroy(), 20);
    };
    const server = await script([json(503, { detail: "busy" }), cut, json(200, INSTANCE)]);
    const client = createMorphClient({ apiKey: API_KEY, baseUrl: server.baseUrl, retry: { attempts: 3, baseDelayMs: 1 } });
    const { attempts } = await client.requestWithAttempts(get);
    expect(attempts).toBe(3);
    const server2 = await script([json(503, { detail: "busy" }), cut, json(200, INSTANCE)]);
    const tight = createMorphClient({ apiKey: API_KEY, baseUrl: server2.baseUrl, retry: { attempts: 2, baseDelayMs: 1 } });
    const err = await tight.request(get).catch((e: unknown) => e);
    expect(isVMError(err) && err.code).toBe("UNAVAILABLE");
    expect(server2.hits).toHaveLength(2);
  });
});
