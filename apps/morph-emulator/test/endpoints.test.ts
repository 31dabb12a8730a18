import {
  branchInstanceResponseSchema,
  execResponseSchema,
  httpValidationErrorSchema,
  instanceModelSchema,
  instanceSshKeySchema,
  snapshotModelSchema,
} from "@vm/provider-morph/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATOR_LABEL, type MorphEmulator } from "../src/index.js";
import { removeLeftovers, run, startTestEmulator, waitFor } from "./support.js";

// The endpoints beyond the provider's: requests shaped as the official SDK sends them (the
// metadata object itself as the body, `{name, port}`, ...), answers checked with the spec's
// generated schemas. One instance for the whole file.
const KEY = `emu-endpoints-${Math.random().toString(36).slice(2)}`;
const SESSION = `emu-endpoints-${process.pid}-${Date.now().toString(36)}`;
let emulator: MorphEmulator;
let snapshotId = "";
let id = "";

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${emulator.apiUrl}${path}`, {
    method,
    // As the SDK sends every request: JSON content type even with no body.
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", accept: "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

async function instance(method: string, path: string, body?: unknown) {
  const answer = await api(method, path, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return instanceModelSchema.parse(answer.body);
}

async function sh(line: string) {
  const answer = await api("POST", `/instance/${id}/exec`, { command: [line] });
  expect(answer.status).toBe(200);
  return execResponseSchema.parse(answer.body);
}

const waitStatus = (status: string) => waitFor(`instance ${status}`, async () => ((await instance("GET", `/instance/${id}`)).status === status ? true : undefined));

/** The engine's state of the instance's container (found by the session label). */
async function containerState(): Promise<string> {
  const { stdout } = await run("docker", ["ps", "-aq", "--filter", `label=${EMULATOR_LABEL}=${SESSION}`, "--filter", `label=dev.vm.metadata`]);
  const ids = stdout.split("\n").filter(Boolean);
  expect(ids).toHaveLength(1);
  return (await run("docker", ["inspect", "-f", "{{.State.Status}}", ids[0]!])).stdout.trim();
}

function expectValidationError(answer: { status: number; body: unknown }, loc: unknown[]) {
  expect(answer.status).toBe(422);
  expect(httpValidationErrorSchema.parse(answer.body).detail![0]!.loc).toEqual(loc);
}

beforeAll(async () => {
  emulator = await startTestEmulator(KEY, SESSION);
  // vm-base, not morphvm-minimal: the HTTP service test runs a Node server in the instance.
  snapshotId = snapshotModelSchema.parse((await api("POST", "/snapshot", { image_id: "vm-base", readiness_check: { type: "timeout", timeout: 10 }, metadata: {} })).body).id;
  id = (await instance("POST", `/instance?snapshot_id=${snapshotId}`, { metadata: { suite: "endpoints" } })).id;
  await waitStatus("ready");
});

afterAll(async () => {
  await emulator?.close();
  expect(await removeLeftovers(SESSION)).toEqual([]);
});

describe("validation the spec asks for", () => {
  it("answers 422 to a missing required body, and accepts what the spec allows", async () => {
    expectValidationError(await api("POST", "/snapshot"), ["body"]);
    expectValidationError(await api("POST", `/instance/${id}/metadata`), ["body"]);
    expectValidationError(await api("POST", `/instance/${id}/ttl`, { ttl_action: "stop" }), ["body", "ttl_seconds"]);
    expectValidationError(await api("POST", `/instance/${id}/http`, { name: "Bad Name", port: 80 }), ["body", "name"]);
    expectValidationError(await api("POST", `/instance/${id}/http`, { name: "web", port: 0 }), ["body", "port"]);
    // ExecRequest.command has no minimum length: an empty command runs nothing.
    expect(await sh("true")).toEqual({ stdout: "", stderr: "", exit_code: 0 });
    const empty = await api("POST", `/instance/${id}/exec`, { command: [] });
    expect(empty.status).toBe(200);
    expect(execResponseSchema.parse(empty.body)).toEqual({ stdout: "", stderr: "", exit_code: 0 });
  });

  it("branches count=0 (no minimum in the spec) into a snapshot and no instance", async () => {
    const answer = await api("POST", `/instance/${id}/branch?count=0`, {});
    expect(answer.status).toBe(200);
    const branched = branchInstanceResponseSchema.parse(answer.body);
    expect(branched.instances).toEqual([]);
    expect(branched.snapshot.status).toBe("ready");
    expect((await api("DELETE", `/snapshot/${branched.snapshot.id}`)).status).toBe(204);
  });
});

describe("settings", () => {
  it("merges snapshot and instance metadata", async () => {
    await api("POST", `/snapshot/${snapshotId}/metadata`, { a: "1" });
    const snap = await api("POST", `/snapshot/${snapshotId}/metadata`, { b: "2" });
    expect(snapshotModelSchema.parse(snap.body).metadata).toEqual({ a: "1", b: "2" });
    expect((await instance("POST", `/instance/${id}/metadata`, { role: "web" })).metadata).toEqual({ suite: "endpoints", role: "web" });
    const listed = (await api("GET", "/instance?metadata[role]=web")).body as { data: { id: string }[] };
    expect(listed.data.map((i) => i.id)).toEqual([id]);
    expect((await api("POST", "/instance/morphvm_nope/metadata", { a: "1" })).status).toBe(404);
  });

  it("stores wake-on settings and answers a stable, rotatable SSH key pair", async () => {
    expect((await instance("POST", `/instance/${id}/wake-on`, { wake_on_http: true })).wake_on).toEqual({ wake_on_ssh: false, wake_on_http: true });
    const first = instanceSshKeySchema.parse((await api("GET", `/instance/${id}/ssh/key`)).body);
    expect(first.public_key).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
    expect(first.private_key).toContain("PRIVATE KEY");
    expect(instanceSshKeySchema.parse((await api("GET", `/instance/${id}/ssh/key`)).body)).toEqual(first);
    const rotated = instanceSshKeySchema.parse((await api("POST", `/instance/${id}/ssh/key`)).body);
    expect(rotated.public_key).not.toBe(first.public_key);
  });
});

describe("power", () => {
  it("pauses with the engine (processes survive), resumes, and the TTL can pause it", async () => {
    await sh("setsid sleep 1000 >/dev/null 2>&1 < /dev/null & echo $! > /tmp/sleeper");
    const before = ((await api("GET", "/snapshot")).body as { data: unknown[] }).data.length;
    const paused = await instance("POST", `/instance/${id}/pause`);
    expect(paused.status).toBe("paused");
    expect(await containerState()).toBe("paused");
    // snapshot defaults to true: the snapshot was made before pausing.
    const snapshots = ((await api("GET", `/snapshot?metadata[paused_instance_id]=${id}`)).body as { data: unknown[] }).data.map((s) => snapshotModelSchema.parse(s));
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]!.status).toBe("ready");
    expect(((await api("GET", "/snapshot")).body as { data: unknown[] }).data.length).toBe(before + 1);
    expect((await api("POST", `/instance/${id}/exec`, { command: ["true"] })).status).toBe(409);
    expect((await instance("POST", `/instance/${id}/resume`)).status).toBe("ready");
    expect(await containerState()).toBe("running");
    expect((await sh('kill -0 "$(cat /tmp/sleeper)" && echo alive')).stdout).toBe("alive\n");
    expect((await api("DELETE", `/snapshot/${snapshots[0]!.id}`)).status).toBe(204);

    // POST /ttl reschedules the emulator's TTL: "pause" expires into an engine pause.
    const ttl = await instance("POST", `/instance/${id}/ttl`, { ttl_seconds: 1, ttl_action: "pause" });
    expect(ttl.ttl).toMatchObject({ ttl_seconds: 1, ttl_action: "pause" });
    await waitStatus("paused");
    expect(await containerState()).toBe("paused");
    await instance("POST", `/instance/${id}/resume`);
    const cleared = await instance("POST", `/instance/${id}/ttl`, { ttl_seconds: null });
    expect(cleared.ttl).toEqual({ ttl_seconds: null, ttl_expire_at: null, ttl_action: "pause" });
    expect((await sh('kill -0 "$(cat /tmp/sleeper)" && echo alive')).stdout).toBe("alive\n");
  });

  it("pauses without a snapshot when asked, and reboots: processes end, files stay", async () => {
    const before = ((await api("GET", "/snapshot")).body as { data: unknown[] }).data.length;
    await instance("POST", `/instance/${id}/pause?snapshot=false`);
    expect(((await api("GET", "/snapshot")).body as { data: unknown[] }).data.length).toBe(before);
    expect((await api("POST", `/instance/${id}/reboot`)).status).toBe(409);
    await instance("POST", `/instance/${id}/resume`);
    expect((await instance("POST", `/instance/${id}/reboot`)).status).toBe("ready");
    expect(await containerState()).toBe("running");
    expect((await sh('kill -0 "$(cat /tmp/sleeper)" 2>/dev/null && echo alive || echo gone')).stdout).toBe("gone\n");
  });
});

describe("HTTP services", () => {
  it("exposes a port inside the instance at a URL on the emulator, with auth modes, wake-on-HTTP and hiding", async () => {
    const server = `require("http").createServer((q, s) => { let b = ""; q.on("data", (c) => (b += c)); q.on("end", () => { s.setHeader("x-seen", q.method + " " + q.url); s.end("got:" + b); }); }).listen(8080, "127.0.0.1")`;
    await sh(`setsid node -e '${server}' >/dev/null 2>&1 < /dev/null &`);
    const exposed = await instance("POST", `/instance/${id}/http`, { name: "web", port: 8080 });
    const web = exposed.networking.http_services!.find((s) => s.name === "web")!;
    expect(web).toMatchObject({ name: "web", port: 8080, auth_mode: "none" });
    expect(web.url.startsWith(`${emulator.url}/_services/${id}/web/`)).toBe(true);
    const reply = await waitFor("the service", async () => {
      const response = await fetch(`${web.url}echo?x=1`, { method: "POST", body: "payload" }).catch(() => undefined);
      return response?.status === 200 ? response : undefined;
    });
    expect(reply.headers.get("x-seen")).toBe("POST /echo?x=1");
    expect(await reply.text()).toBe("got:payload");

    const secure = (await instance("POST", `/instance/${id}/http`, { name: "secure", port: 8080, auth_mode: "api_key" })).networking.http_services!.find((s) => s.name === "secure")!;
    expect((await fetch(secure.url)).status).toBe(401);
    expect((await fetch(secure.url, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);

    // wake_on_http was set above: a request to a paused instance's service resumes it.
    await instance("POST", `/instance/${id}/pause?snapshot=false`);
    expect((await fetch(web.url)).status).toBe(200);
    expect((await instance("GET", `/instance/${id}`)).status).toBe("ready");

    const hidden = await instance("DELETE", `/instance/${id}/http/web`);
    expect(hidden.networking.http_services!.map((s) => s.name)).toEqual(["secure"]);
    expect((await fetch(web.url)).status).toBe(404);
    expect((await api("DELETE", `/instance/${id}/http/web`)).status).toBe(404);
  });
});
