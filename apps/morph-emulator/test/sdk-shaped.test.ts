import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MorphEmulator } from "../src/index.js";
import { sdkClient } from "./sdk-client.js";
import { removeLeftovers, startTestEmulator, waitFor } from "./support.js";

// The emulator driven with requests shaped exactly as the official Morph SDK sends them (see
// sdk-client.ts), in the order its integration tests use them, every answer checked against the
// spec's schema. What it covers: both exec forms, snapshot creation with resources, metadata,
// TTL update, pause and resume, HTTP services.
const KEY = `emu-sdk-${Math.random().toString(36).slice(2)}`;
const SESSION = `emu-sdk-${process.pid}-${Date.now().toString(36)}`;
let emulator: MorphEmulator;
let client: ReturnType<typeof sdkClient>;

interface Model {
  id: string;
  status: string;
  spec: { vcpus: number; memory: number; disk_size: number };
  metadata?: Record<string, string>;
  ttl?: { ttl_seconds?: number | null; ttl_action?: string | null };
  networking?: { http_services: { name: string; port: number; url: string }[] };
}
interface ExecAnswer {
  exit_code: number;
  stdout: string;
  stderr: string;
}

const getSnapshot = (id: string) => client.request<Model>({ method: "GET", route: "/snapshot/{snapshot_id}", path: `/snapshot/${id}` });
const getInstance = (id: string) => client.request<Model>({ method: "GET", route: "/instance/{instance_id}", path: `/instance/${id}` });
const waitUntil = (what: string, read: () => Promise<Model>, status: string) => waitFor(what, async () => ((await read()).status === status ? true : undefined), 120_000);
// `instance.exec(command)`: a string becomes a one-element array.
const exec = (id: string, command: string | string[]) =>
  client.request<ExecAnswer>({ method: "POST", route: "/instance/{instance_id}/exec", path: `/instance/${id}/exec`, data: { command: typeof command === "string" ? [command] : command } });

let snapshot: Model;
let instance: Model;

beforeAll(async () => {
  emulator = await startTestEmulator(KEY, SESSION);
  client = sdkClient(emulator.apiUrl, KEY);
  // As the SDK's TTL tests set up: the image whose id says minimal, then a snapshot with resources.
  const images = await client.request<{ data: { id: string }[] }>({ method: "GET", route: "/image", path: "/image" });
  const image = images.data.find((i) => i.id.toLowerCase().includes("minimal")) ?? images.data[0]!;
  snapshot = await client.request<Model>({
    method: "POST",
    route: "/snapshot",
    path: "/snapshot",
    query: {},
    data: { image_id: image.id, vcpus: 1, memory: 512, disk_size: 8192, digest: undefined, readiness_check: { type: "timeout", timeout: 10.0 }, metadata: {} },
  });
  await waitUntil("snapshot ready", () => getSnapshot(snapshot.id), "ready");
  // `instances.start`: the snapshot id in the query, the options in the body.
  instance = await client.request<Model>({ method: "POST", route: "/instance", path: "/instance", query: { snapshot_id: snapshot.id }, data: { metadata: { suite: "sdk-shaped" } } });
  await waitUntil("instance ready", () => getInstance(instance.id), "ready");
}, 300_000);

afterAll(async () => {
  if (instance) await client.request({ method: "DELETE", route: "/instance/{instance_id}", path: `/instance/${instance.id}` }).catch(() => undefined);
  if (snapshot) await client.request({ method: "DELETE", route: "/snapshot/{snapshot_id}", path: `/snapshot/${snapshot.id}` }).catch(() => undefined);
  await emulator?.close();
  expect(await removeLeftovers(SESSION)).toEqual([]);
});

describe("the official SDK's requests", () => {
  it("creates a snapshot with resources, and the instance gets them and has them enforced", async () => {
    expect(snapshot.spec).toEqual({ vcpus: 1, memory: 512, disk_size: 8192 });
    expect((await getInstance(instance.id)).spec).toEqual({ vcpus: 1, memory: 512, disk_size: 8192 });
    // The memory limit is in force inside (a cgroup limit in the emulator, v2 or v1; the VM's RAM on Morph).
    const limit = await exec(instance.id, "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes");
    expect(limit).toMatchObject({ exit_code: 0, stdout: `${512 * 1024 * 1024}\n` });
  });

  it("runs the string form as a shell line and the array form as words", async () => {
    expect(await exec(instance.id, "echo 'hello world' && echo second")).toEqual({ exit_code: 0, stdout: "hello world\nsecond\n", stderr: "" });
    expect(await exec(instance.id, ["echo", "hello"])).toEqual({ exit_code: 0, stdout: "hello\n", stderr: "" });
    expect(await exec(instance.id, "exit 3")).toMatchObject({ exit_code: 3 });
  });

  it("sets and filters metadata on instances and snapshots", async () => {
    // `setMetadata`: the metadata object itself is the body.
    await client.request({ method: "POST", route: "/instance/{instance_id}/metadata", path: `/instance/${instance.id}/metadata`, query: {}, data: { owner: "sdk", "a b": "c=d" } });
    expect((await getInstance(instance.id)).metadata).toEqual({ suite: "sdk-shaped", owner: "sdk", "a b": "c=d" });
    const found = await client.request<{ data: Model[] }>({ method: "GET", route: "/instance", path: `/instance${client.stripe({ owner: "sdk", "a b": "c=d" })}` });
    expect(found.data.map((i) => i.id)).toEqual([instance.id]);
    await client.request({ method: "POST", route: "/snapshot/{snapshot_id}/metadata", path: `/snapshot/${snapshot.id}/metadata`, query: {}, data: { kind: "base" } });
    const snapshots = await client.request<{ data: Model[] }>({ method: "GET", route: "/snapshot", path: `/snapshot${client.stripe({ kind: "base" })}` });
    expect(snapshots.data.map((s) => s.id)).toEqual([snapshot.id]);
  });

  it("updates the TTL", async () => {
    const updated = await client.request<Model>({ method: "POST", route: "/instance/{instance_id}/ttl", path: `/instance/${instance.id}/ttl`, query: {}, data: { ttl_seconds: 3600, ttl_action: "pause" } });
    expect(updated.ttl).toMatchObject({ ttl_seconds: 3600, ttl_action: "pause" });
    expect((await getInstance(instance.id)).ttl).toMatchObject({ ttl_seconds: 3600, ttl_action: "pause" });
  });

  it("pauses and resumes, keeping the running processes", async () => {
    await exec(instance.id, "sleep 600 > /dev/null 2>&1 & echo $! > /tmp/sleeper");
    // `instance.pause()` and `resume()`: no query, no body.
    await client.request({ method: "POST", route: "/instance/{instance_id}/pause", path: `/instance/${instance.id}/pause` });
    expect((await getInstance(instance.id)).status).toBe("paused");
    await client.request({ method: "POST", route: "/instance/{instance_id}/resume", path: `/instance/${instance.id}/resume` });
    await waitUntil("instance ready again", () => getInstance(instance.id), "ready");
    expect((await exec(instance.id, 'kill -0 "$(cat /tmp/sleeper)" && echo alive')).stdout).toBe("alive\n");
  });

  it("exposes and hides an HTTP service that answers from inside the instance", async () => {
    // A server with only what a minimal Debian has (perl-base): the SDK's tests use python3.
    const server = String.raw`perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalAddr=>"127.0.0.1:8888",Listen=>5,ReuseAddr=>1) or die; while($c=$s->accept){$r=<$c>; $b="seen $r"; print $c "HTTP/1.1 200 OK\r\nContent-Length: ".length($b)."\r\nConnection: close\r\n\r\n$b"; close $c}'`;
    expect((await exec(instance.id, `${server} > /dev/null 2>&1 &`)).exit_code).toBe(0);
    await client.request({ method: "POST", route: "/instance/{instance_id}/http", path: `/instance/${instance.id}/http`, query: {}, data: { name: "test-server", port: 8888 } });
    const service = (await getInstance(instance.id)).networking!.http_services.find((s) => s.name === "test-server")!;
    expect(service).toMatchObject({ name: "test-server", port: 8888 });
    const body = await waitFor("the service", async () => {
      const response = await fetch(`${service.url}hello?x=1`).catch(() => undefined);
      return response?.status === 200 ? response.text() : undefined;
    });
    expect(body).toBe("seen GET /hello?x=1 HTTP/1.1\r\n");
    await client.request({ method: "DELETE", route: "/instance/{instance_id}/http/{service_name}", path: `/instance/${instance.id}/http/test-server` });
    expect((await getInstance(instance.id)).networking!.http_services).toEqual([]);
    expect((await fetch(service.url)).status).toBe(404);
  });

  it("snapshots an instance the way `instance.snapshot()` does, digest=undefined and all", async () => {
    const saved = await client.request<Model & { digest?: string | null }>({ method: "POST", route: "/instance/{instance_id}/snapshot", path: `/instance/${instance.id}/snapshot`, query: { digest: undefined }, data: { metadata: {} } });
    await waitUntil("saved snapshot ready", () => getSnapshot(saved.id), "ready");
    // The SDK's query turns a missing digest into the text "undefined": the API stores what it got.
    expect(saved.digest).toBe("undefined");
    expect(saved.spec).toEqual({ vcpus: 1, memory: 512, disk_size: 8192 });
    await client.request({ method: "DELETE", route: "/snapshot/{snapshot_id}", path: `/snapshot/${saved.id}` });
  });

  it("got only answers that match the spec's schemas", () => {
    // Runs last: every answer of the file so far.
    expect(client.violations).toEqual([]);
  });
});
