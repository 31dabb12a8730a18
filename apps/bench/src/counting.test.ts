import { request } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countRequests, installRequestCounter } from "./counting.js";

describe("request counting", () => {
  const server = createServer((req, res) => {
    if (req.headers.upgrade) return; // answered in the upgrade handler
    res.end("ok");
  });
  server.on("upgrade", (_req, socket) => {
    socket.end("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
  });
  let base = "";
  beforeAll(async () => {
    installRequestCounter();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (path: string, upgrade = false) =>
    new Promise<void>((resolve, reject) => {
      const req = request(`${base}${path}`, { method: "POST", headers: upgrade ? { Connection: "Upgrade", Upgrade: "tcp" } : {} });
      req.on("response", (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("upgrade", (_res, socket) => {
        socket.destroy();
        resolve();
      });
      req.on("error", reject);
      req.end();
    });

  it("counts node:http requests, hijacked ones included, and fetch requests, with ids normalised", async () => {
    const id = "a".repeat(64);
    const { count } = await countRequests(async () => {
      await get(`/v1.41/containers/${id}/exec`);
      await get(`/exec/${id}/start`, true);
      await fetch(`${base}/instance/morphvm_abc123/exec`, { method: "POST", body: "{}" }).then((r) => r.text());
    });
    expect(count.requests).toBe(3);
    expect(count.routes).toEqual(["POST /containers/{id}/exec", "POST /exec/{id}/start", "POST /instance/{id}/exec"]);
    expect(count.apiCalls).toBe(2);
  });
});
