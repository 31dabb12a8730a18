import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { VMProvider } from "@vm/core";
import { createMorphVMProvider } from "@vm/provider-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A real server (127.0.0.1) whose instance turns paused while it boots and whose snapshot is
// deleted while it is made: neither can become ready any more (the kit's legal transitions),
// so the wait fails at once with UNAVAILABLE instead of polling until its deadline (TIMEOUT).

const spec = { vcpus: 1, memory: 512, disk_size: 1024 };
const instance = (status: string) => ({
  id: "morphvm_b",
  object: "instance",
  created: 1_700_000_000,
  status,
  spec,
  refs: { snapshot_id: "snapshot_base", image_id: "img" },
  networking: {},
  metadata: {},
  ttl: { ttl_seconds: null, ttl_action: "stop" },
  wake_on: {},
});
const snapshot = (status: string) => ({ id: "snapshot_new", object: "snapshot", created: 1_700_000_000, status, spec, refs: { image_id: "img" }, digest: null, metadata: {} });

let server: Server;
let vm: VMProvider;
const deleted: string[] = [];
// Far longer than the calls may take: reaching it means the wait did not see the status.
const DEADLINE_MS = 30_000;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const json = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method === "POST" && path === "/api/snapshot/snapshot_base/boot") json(instance("pending"));
    else if (req.method === "GET" && path === "/api/instance/morphvm_b") json(instance("paused"));
    else if (req.method === "POST" && path === "/api/snapshot") json(snapshot("pending"));
    else if (req.method === "GET" && path === "/api/snapshot/snapshot_new") json(snapshot("deleting"));
    else if (req.method === "DELETE") {
      deleted.push(path ?? "");
      json({});
    } else res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ detail: "Not found" }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  vm = createMorphVMProvider({ baseUrl: `http://127.0.0.1:${port}/api`, apiKey: "sk-test", retry: { attempts: 1 }, bootTimeoutMs: DEADLINE_MS, snapshotTimeoutMs: DEADLINE_MS });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("a wait for ready gives up on a status that can no longer become ready", () => {
  it("boot: an instance paused while it boots is UNAVAILABLE (not TIMEOUT), and is deleted", async () => {
    const err = await vm.instances.boot("snapshot_base").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "UNAVAILABLE" });
    expect((err as Error).message).toContain("it is paused");
    expect(deleted).toContain("/api/instance/morphvm_b");
  });

  it("fromImage: a snapshot deleted while it is made is UNAVAILABLE (not TIMEOUT)", async () => {
    const err = await vm.snapshots.fromImage("img").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "UNAVAILABLE" });
    expect((err as Error).message).toContain("it is deleting");
  });
});
