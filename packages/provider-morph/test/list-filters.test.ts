import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { VMProvider } from "@vm/core";
import { createMorphVMProvider } from "@vm/provider-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A real server (127.0.0.1) that ignores every list filter and answers with everything it
// has, as a server that does not understand a key may. The provider must re-check each filter
// it sent on the client, so a caller terminating what a filter returns never gets a stranger.

const spec = { vcpus: 1, memory: 512, disk_size: 1024 };
function instance(id: string, status: string, metadata: Record<string, string>) {
  return {
    id,
    object: "instance",
    created: 1_700_000_000,
    status,
    spec,
    refs: { snapshot_id: "snapshot_x", image_id: "img" },
    networking: {},
    metadata,
    ttl: { ttl_seconds: null, ttl_action: "stop" },
    wake_on: {},
  };
}
function snapshot(id: string, digest: string | null, metadata: Record<string, string>) {
  return { id, object: "snapshot", created: 1_700_000_000, status: "ready", spec, refs: { image_id: "img" }, digest, metadata };
}

// Built as JSON text so "__proto__" is an own key, as it is in any real answer body.
const protoMeta = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
const INSTANCES = [
  instance("morphvm_plain", "ready", { app: "demo" }),
  instance("morphvm_paused", "paused", { app: "demo" }),
  instance("morphvm_proto", "ready", protoMeta),
  instance("morphvm_none", "ready", {}),
];
const SNAPSHOTS = [
  snapshot("snapshot_plain", "d1", { app: "demo" }),
  snapshot("snapshot_other", "d2", { app: "demo" }),
  snapshot("snapshot_proto", null, protoMeta),
  snapshot("snapshot_none", null, {}),
];

let server: Server;
let vm: VMProvider;
const urls: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    urls.push(req.url ?? "");
    const path = (req.url ?? "").split("?")[0];
    const data = path === "/api/instance" ? INSTANCES : path === "/api/snapshot" ? SNAPSHOTS : undefined;
    if (req.method === "GET" && data) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data }));
    else res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ detail: "Not found" }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  vm = createMorphVMProvider({ baseUrl: `http://127.0.0.1:${port}/api`, apiKey: "sk-test", retry: { attempts: 1 } });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const ids = (list: { id: string }[]) => list.map((x) => x.id).sort();

describe("list filters are re-checked on the client (the server ignores them)", () => {
  it("instances.list: metadata keys on the prototype match only own keys", async () => {
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const wanted = JSON.parse(`{${JSON.stringify(key)}:"x"}`) as Record<string, string>;
      expect(ids(await vm.instances.list({ metadata: wanted })), key).toEqual(key === "__proto__" ? ["morphvm_proto"] : []);
    }
    // The filter did go out: the server is the one ignoring it.
    expect(urls.some((u) => u.includes("metadata%5B__proto__%5D=x"))).toBe(true);
  });

  it("instances.list: metadata values and status", async () => {
    expect(ids(await vm.instances.list({ metadata: { app: "other" } }))).toEqual([]);
    expect(ids(await vm.instances.list({ metadata: { app: "demo" }, status: "ready" }))).toEqual(["morphvm_plain"]);
    // Paused on Morph is "paused"; only a pause that stop() marked is "stopped".
    expect(ids(await vm.instances.list({ status: ["paused"] }))).toEqual(["morphvm_paused"]);
    expect(ids(await vm.instances.list({ status: ["stopped"] }))).toEqual([]);
  });

  it("snapshots.list: metadata (own keys only) and digest", async () => {
    expect(ids(await vm.snapshots.list({ metadata: JSON.parse('{"__proto__":"x"}') as Record<string, string> }))).toEqual(["snapshot_proto"]);
    expect(ids(await vm.snapshots.list({ metadata: { constructor: "x" } }))).toEqual([]);
    expect(ids(await vm.snapshots.list({ digest: "d1" }))).toEqual(["snapshot_plain"]);
    expect(ids(await vm.snapshots.list({ metadata: { app: "demo" }, digest: "d3" }))).toEqual([]);
  });
});
