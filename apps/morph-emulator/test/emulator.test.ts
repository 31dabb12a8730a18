import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { MorphEmulator } from "../src/index.js";
import { labelled, removeLeftovers, run, startTestEmulator, waitFor } from "./support.js";

// The emulator over raw HTTP, in this process, with real containers behind it.
const KEY = `emu-test-${Math.random().toString(36).slice(2)}`;
const SESSION = `emu-test-${process.pid}-${Date.now().toString(36)}`;
let emulator: MorphEmulator;

async function api(method: string, path: string, body?: unknown, key = KEY) {
  const response = await fetch(`${emulator.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

beforeAll(async () => {
  emulator = await startTestEmulator(KEY, SESSION);
});

afterAll(async () => {
  await emulator?.close();
  expect(await removeLeftovers(SESSION)).toEqual([]);
});

describe("auth and validation", () => {
  it("answers 401 without or with a wrong Bearer key, never echoing it", async () => {
    const missing = await fetch(`${emulator.apiUrl}/instance`);
    expect(missing.status).toBe(401);
    const wrong = await api("GET", "/instance", undefined, "sk-wrong-key-123");
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain("sk-wrong-key-123");
  });

  it("answers 422 with the spec's HTTPValidationError detail", async () => {
    const bad = await api("POST", "/instance/morphvm_x/exec", { command: "ls" });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({ detail: [expect.objectContaining({ loc: ["body", "command"], msg: expect.any(String) as string, type: expect.any(String) as string })] });
    const missing = await api("POST", "/instance/morphvm_x/exec", {});
    expect((missing.body!.detail as { type: string }[])[0]!.type).toBe("missing");
    const count = await api("POST", "/instance/morphvm_x/branch?count=two");
    expect(count.status).toBe(422);
    expect((count.body!.detail as { loc: unknown[] }[])[0]!.loc).toEqual(["query", "count"]);
  });

  it("answers 404 for unknown ids and paths", async () => {
    expect((await api("GET", "/instance/morphvm_nope")).status).toBe(404);
    expect((await api("GET", "/snapshot/snapshot_nope")).status).toBe(404);
    expect((await api("GET", "/nothing-here")).status).toBe(404);
  });
});

describe("instances are real containers", () => {
  it("boots, runs commands, streams, snapshots, refuses to delete a used snapshot, and deletes", async () => {
    const snap = await api("POST", "/snapshot", { image_id: "morphvm-minimal", digest: `emu-${SESSION}` });
    expect(snap.status).toBe(200);
    const snapshotId = snap.body!.id as string;
    expect(snapshotId).toMatch(/^snapshot_/);
    const again = await api("POST", "/snapshot", { image_id: "morphvm-minimal", digest: `emu-${SESSION}` });
    expect(again.body!.id).toBe(snapshotId);
    await waitFor("snapshot ready", async () => ((await api("GET", `/snapshot/${snapshotId}`)).body!.status === "ready" ? true : undefined));

    const boot = await api("POST", `/snapshot/${snapshotId}/boot`, { metadata: { t: "emu" }, ttl_seconds: 600, ttl_action: "stop" });
    expect(boot.status).toBe(200);
    const id = boot.body!.id as string;
    expect(id).toMatch(/^morphvm_/);
    expect(boot.body!.ttl).toMatchObject({ ttl_seconds: 600, ttl_action: "stop" });
    await waitFor("instance ready", async () => ((await api("GET", `/instance/${id}`)).body!.status === "ready" ? true : undefined));
    expect((await labelled(SESSION)).length).toBeGreaterThanOrEqual(1);

    // As the official SDK sends it: one element holding a shell line (exec runs "via SSH").
    const exec = await api("POST", `/instance/${id}/exec`, { command: ["cat /etc/os-release | head -1; echo e >&2; exit 4"] });
    expect(exec.body).toEqual({ stdout: expect.stringContaining("Debian") as string, stderr: "e\n", exit_code: 4 });
    // Several elements are joined with spaces, as over SSH: the quoting is the caller's.
    const joined = await api("POST", `/instance/${id}/exec`, { command: ["echo", "'hello world'", "&&", "echo", "second"] });
    expect(joined.body).toEqual({ stdout: "hello world\nsecond\n", stderr: "", exit_code: 0 });

    const sse = await fetch(`${emulator.apiUrl}/instance/${id}/exec/sse`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ command: ["echo one; echo two >&2; exit 3"] }),
    });
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    const text = await sse.text();
    expect(text).toContain('data: {"type":"stdout","content":"one\\n"}');
    expect(text.trim().endsWith('data: {"type":"exit_code","content":3}')).toBe(true);

    const listed = await api("GET", "/instance?metadata[t]=emu");
    expect((listed.body!.data as { id: string }[]).map((i) => i.id)).toEqual([id]);
    expect(((await api("GET", "/instance?metadata[t]=other")).body!.data as unknown[]).length).toBe(0);

    expect((await api("DELETE", `/snapshot/${snapshotId}`)).status).toBe(409);
    const del = await api("DELETE", `/instance/${id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    expect((await api("GET", `/instance/${id}`)).status).toBe(404);
    expect((await api("DELETE", `/snapshot/${snapshotId}`)).status).toBe(204);
  });

  it("expires an instance whose TTL action is stop (Morph: stop deletes)", async () => {
    const snap = await api("POST", "/snapshot", { image_id: "morphvm-minimal" });
    const snapshotId = snap.body!.id as string;
    const boot = await api("POST", `/snapshot/${snapshotId}/boot`, { ttl_seconds: 2, ttl_action: "stop" });
    const id = boot.body!.id as string;
    await waitFor("instance expired", async () => ((await api("GET", `/instance/${id}`)).status === 404 ? true : undefined), 90_000);
    expect((await api("DELETE", `/snapshot/${snapshotId}`)).status).toBe(204);
  });
});

describe("fault injection", () => {
  it("answers injected 429 with Retry-After, then normally", async () => {
    const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
    const set = await fetch(`${emulator.url}/_admin/faults`, { method: "POST", headers, body: JSON.stringify({ faults: [{ kind: "status", status: 429, retryAfter: 3, path: "^/image$" }] }) });
    expect(set.status).toBe(200);
    const limited = await api("GET", "/image");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect((await api("GET", "/image")).status).toBe(200);
  });

  it("drops a connection when asked", async () => {
    emulator.faults.add([{ kind: "drop", count: 1, path: "^/image$" }]);
    await expect(api("GET", "/image")).rejects.toThrow();
    expect((await api("GET", "/image")).status).toBe(200);
  });

  it("protects the admin endpoint with the same key", async () => {
    const response = await fetch(`${emulator.url}/_admin/faults`, { method: "POST", body: "{}" });
    expect(response.status).toBe(401);
  });
});

describe("the runnable server", () => {
  it("starts from env, serves morphvm-minimal (no Node, no PM2) and vm-base, and removes its containers on SIGTERM", async () => {
    const session = `emu-main-${process.pid}-${Date.now().toString(36)}`;
    const child = spawn(process.execPath, [join(import.meta.dirname, "../dist/main.js")], {
      env: { ...process.env, PORT: "0", MORPH_API_KEY: KEY, VM_BASE_IMAGE: inject("baseImage"), VM_MINIMAL_IMAGE: inject("minimalImage"), MORPH_EMULATOR_SESSION: session },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      let output = "";
      const apiUrl = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (\S+)/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${output}`)));
      });
      const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
      const images = (await (await fetch(`${apiUrl}/image`, { headers })).json()) as { data: { id: string; description: string }[] };
      expect(images.data.map((i) => [i.id, i.description])).toEqual([
        ["morphvm-minimal", `Debian without Node or PM2 (local image ${inject("minimalImage")})`],
        ["vm-base", `Debian with Node and PM2 (local image ${inject("baseImage")})`],
      ]);
      const snap = (await (await fetch(`${apiUrl}/snapshot`, { method: "POST", headers, body: JSON.stringify({ image_id: "morphvm-minimal" }) })).json()) as { id: string };
      const vm = (await (await fetch(`${apiUrl}/snapshot/${snap.id}/boot`, { method: "POST", headers, body: "{}" })).json()) as { id: string };
      await waitFor("child instance ready", async () => {
        const got = (await (await fetch(`${apiUrl}/instance/${vm.id}`, { headers })).json()) as { status: string };
        return got.status === "ready" ? true : undefined;
      });
      expect((await labelled(session)).length).toBeGreaterThanOrEqual(1);
      // Like Morph Cloud's minimal image: no node and no pm2 on PATH.
      const exec = (await (await fetch(`${apiUrl}/instance/${vm.id}/exec`, { method: "POST", headers, body: JSON.stringify({ command: ["command -v node pm2 || echo missing"] }) })).json()) as { stdout: string };
      expect(exec.stdout).toBe("missing\n");
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(await labelled(session)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      const left = await labelled(session);
      if (left.length > 0) await run("docker", ["rm", "-f", ...left]).catch(() => undefined);
    }
  });
});
