import { MORPH_DEFAULT_MAX_REQUEST_BYTES, createMorphVMProvider } from "@vm/provider-morph";
import { createMorphClient, instanceModelSchema } from "@vm/provider-morph/internal";
import { isVMError } from "@vm/provider-kit";
import type { VMProvider } from "@vm/core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TEST_API_KEY, admin, startInProcessEmulator, type TestEmulator } from "./support/emulator.js";

// The client's retry, recovery, timeout and auth behaviour over real HTTP against the
// emulator, with faults injected through its admin endpoint.
let emulator: TestEmulator;
let provider: VMProvider;
let snapshotId: string;
let instanceId: string;
let control: ReturnType<typeof admin>;

const fast = { attempts: 4, baseDelayMs: 50, maxDelayMs: 2_000 };

beforeAll(async () => {
  emulator = await startInProcessEmulator();
  control = admin(emulator);
  provider = createMorphVMProvider({ baseUrl: emulator.apiUrl, apiKey: TEST_API_KEY, retry: fast });
  snapshotId = (await provider.snapshots.fromImage("morphvm-minimal")).id;
  instanceId = (await provider.instances.boot(snapshotId, { metadata: { suite: "faults" } })).id;
});

afterAll(async () => {
  await emulator?.stop();
});

beforeEach(async () => {
  await control.clearRequests();
});

afterEach(async () => {
  await control.clearFaults();
});

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("idempotent calls retry", () => {
  it("succeed through 429 with Retry-After", async () => {
    await control.faults([{ kind: "status", status: 429, retryAfter: 1, method: "GET", path: "^/instance/", count: 2 }]);
    const started = Date.now();
    const got = await provider.instances.get(instanceId);
    expect(got.id).toBe(instanceId);
    // Two Retry-After: 1 answers were honoured before the third attempt.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect((await control.requests()).filter((r) => r.route === "/instance/{instance_id}")).toHaveLength(3);
  });

  it("succeed through 503", async () => {
    await control.faults([{ kind: "status", status: 503, method: "GET", path: "^/snapshot$", count: 3 }]);
    const list = await provider.snapshots.list();
    expect(list.map((s) => s.id)).toContain(snapshotId);
    expect((await control.requests()).filter((r) => r.route === "/snapshot")).toHaveLength(4);
  });

  it("succeed through a dropped connection", async () => {
    await control.faults([{ kind: "drop", method: "GET", path: "^/instance$" }]);
    const list = await provider.instances.list({ metadata: { suite: "faults" } });
    expect(list.map((i) => i.id)).toEqual([instanceId]);
  });

  it("give up with RATE_LIMITED / UNAVAILABLE when the server keeps refusing", async () => {
    await control.faults([{ kind: "status", status: 429, method: "GET", count: 10 }]);
    expect(await caught(() => provider.instances.get(instanceId))).toMatchObject({ code: "RATE_LIMITED" });
    await control.clearFaults();
    await control.faults([{ kind: "status", status: 503, method: "GET", count: 10 }]);
    expect(await caught(() => provider.instances.get(instanceId))).toMatchObject({ code: "UNAVAILABLE" });
  });
});

describe("requests that are not idempotent", () => {
  it("exec is never re-sent after a 503", async () => {
    await control.faults([{ kind: "status", status: 503, path: "/exec$" }]);
    expect(await caught(() => provider.instances.exec(instanceId, ["true"]))).toMatchObject({ code: "UNAVAILABLE" });
    expect((await control.requests()).filter((r) => r.route === "/instance/{instance_id}/exec")).toHaveLength(1);
  });

  it("a boot whose answer is lost is found by its marker, not duplicated", async () => {
    await control.faults([{ kind: "drop-after", method: "POST", path: "^/snapshot/[^/]+/boot$" }]);
    const vm = await provider.instances.boot(snapshotId, { metadata: { suite: "faults", case: "lost-boot" } });
    try {
      const same = await provider.instances.list({ metadata: { case: "lost-boot" } });
      expect(same.map((i) => i.id)).toEqual([vm.id]);
      expect((await control.requests()).filter((r) => r.route === "/snapshot/{snapshot_id}/boot")).toHaveLength(1);
    } finally {
      await provider.instances.terminate(vm.id);
    }
  });

  it("a boot refused before any work (dropped before handling) is sent again once", async () => {
    await control.faults([{ kind: "drop", method: "POST", path: "^/snapshot/[^/]+/boot$" }]);
    const vm = await provider.instances.boot(snapshotId, { metadata: { suite: "faults", case: "dropped-boot" } });
    try {
      expect((await provider.instances.list({ metadata: { case: "dropped-boot" } })).map((i) => i.id)).toEqual([vm.id]);
      expect((await control.requests()).filter((r) => r.route === "/snapshot/{snapshot_id}/boot")).toHaveLength(2);
    } finally {
      await provider.instances.terminate(vm.id);
    }
  });

  it("a snapshot whose answer is lost is not duplicated", async () => {
    await control.faults([{ kind: "drop-after", method: "POST", path: "^/instance/[^/]+/snapshot$" }]);
    const snap = await provider.snapshots.create(instanceId, { metadata: { case: "lost-snapshot" } });
    try {
      expect((await provider.snapshots.list({ metadata: { case: "lost-snapshot" } })).map((s) => s.id)).toEqual([snap.id]);
      expect((await control.requests()).filter((r) => r.route === "/instance/{instance_id}/snapshot")).toHaveLength(1);
    } finally {
      await provider.snapshots.delete(snap.id);
    }
  });

  it("a fromImage whose answer is lost is not duplicated", async () => {
    await control.faults([{ kind: "drop-after", method: "POST", path: "^/snapshot$" }]);
    const snap = await provider.snapshots.fromImage("morphvm-minimal", { metadata: { case: "lost-from-image" } });
    try {
      expect((await provider.snapshots.list({ metadata: { case: "lost-from-image" } })).map((s) => s.id)).toEqual([snap.id]);
    } finally {
      await provider.snapshots.delete(snap.id);
    }
  });

  it("a branch whose answer is lost is not duplicated", async () => {
    const snapshotsBefore = (await provider.snapshots.list()).map((s) => s.id).sort();
    await control.faults([{ kind: "drop-after", method: "POST", path: "/branch$" }]);
    const forks = await provider.instances.fork(instanceId, 2);
    try {
      expect(forks).toHaveLength(2);
      expect((await control.requests()).filter((r) => r.route === "/instance/{instance_id}/branch")).toHaveLength(1);
      const all = await provider.instances.list();
      for (const fork of forks) expect(all.filter((i) => i.id === fork.id)).toHaveLength(1);
      expect(all.filter((i) => i.snapshot_id === forks[0]!.snapshot_id)).toHaveLength(2);
    } finally {
      for (const fork of forks) await provider.instances.terminate(fork.id);
    }
    // The branch snapshot Morph made went with the last fork.
    expect((await provider.snapshots.list()).map((s) => s.id).sort()).toEqual(snapshotsBefore);
  });
});

describe("timeouts, aborts and auth", () => {
  it("a slow answer past timeoutMs gives TIMEOUT", async () => {
    const impatient = createMorphVMProvider({ baseUrl: emulator.apiUrl, apiKey: TEST_API_KEY, timeoutMs: 300, retry: fast });
    await control.faults([{ kind: "delay", delayMs: 1_500, method: "GET", path: "^/instance/" }]);
    const err = await caught(() => impatient.instances.get(instanceId));
    expect(err).toMatchObject({ code: "TIMEOUT", provider: "morph", operation: "instances.get" });
  });

  it("an aborted signal gives ABORTED", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const err = await caught(() => provider.instances.exec(instanceId, ["sleep", "5"], { signal: controller.signal }));
    expect(err).toMatchObject({ code: "ABORTED" });
  });

  it("a bad key gives UNAUTHENTICATED and the key appears nowhere", async () => {
    const secret = "sk-live-THIS-MUST-NOT-LEAK-0123456789";
    const logged: string[] = [];
    const logger = { debug: (m: string, f?: object) => logged.push(m + JSON.stringify(f ?? {})), info: () => {}, warn: () => {}, error: () => {} };
    const bad = createMorphVMProvider({ baseUrl: emulator.apiUrl, apiKey: secret, logger, retry: fast });
    const err = await caught(() => bad.instances.get(instanceId));
    expect(isVMError(err)).toBe(true);
    expect(err).toMatchObject({ code: "UNAUTHENTICATED" });
    const e = err as Error;
    const everything = [e.message, String(e), e.stack ?? "", JSON.stringify(e), JSON.stringify(e.cause ?? null), logged.join("\n"), JSON.stringify(bad)];
    for (const text of everything) expect(text).not.toContain(secret);
  });

  it("a missing key gives UNAUTHENTICATED before any request", async () => {
    const saved = process.env.MORPH_API_KEY;
    delete process.env.MORPH_API_KEY;
    try {
      const keyless = createMorphVMProvider({ baseUrl: emulator.apiUrl });
      expect(await caught(() => keyless.instances.list())).toMatchObject({ code: "UNAUTHENTICATED" });
      expect(await control.requests()).toHaveLength(0);
    } finally {
      if (saved !== undefined) process.env.MORPH_API_KEY = saved;
    }
  });

  it("a 422 carries the spec's validation detail", async () => {
    const client = createMorphClient({ baseUrl: emulator.apiUrl, apiKey: TEST_API_KEY });
    const err = await caught(() =>
      client.request({ method: "POST", path: `instance/${instanceId}/exec`, operation: "instances.exec", json: { command: "ls" }, schema: instanceModelSchema, idempotent: false }),
    );
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((err as Error).message).toContain("body.command");
  });

  it("an answer that does not match the spec gives INTERNAL", async () => {
    const client = createMorphClient({ baseUrl: emulator.apiUrl, apiKey: TEST_API_KEY });
    // GET /image answers an ImageModelCollection, not an InstanceModel.
    const err = await caught(() => client.request({ method: "GET", path: "image", operation: "images.list", schema: instanceModelSchema, idempotent: true }));
    expect(err).toMatchObject({ code: "INTERNAL" });
  });
});

describe("files over exec", () => {
  it("writeFileAtomic of a small file is exactly one HTTP request", async () => {
    await control.clearRequests();
    await provider.files.writeFileAtomic(instanceId, "/tmp/one-request.txt", "small\n", { mode: "600" });
    expect(await control.requests()).toEqual([expect.objectContaining({ method: "POST", route: "/instance/{instance_id}/exec" })]);
    expect(await provider.files.readFile(instanceId, "/tmp/one-request.txt")).toBe("small\n");
  });

  it("a 5 MiB file is chunked into exec lines under the 128 KiB limit, in as few requests as fit, and arrives intact", async () => {
    const bytes = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
    await control.clearRequests();
    await provider.files.writeFileAtomic(instanceId, "/tmp/big.bin", bytes);
    const writes = (await control.requests()).length;
    // base64 is 4/3 of the bytes; the kit packs MORPH_DEFAULT_MAX_REQUEST_BYTES of argv per exec,
    // less the write script (under 16 KiB), and each exec is one shell line of at most 128 KiB.
    expect(writes).toBeLessThanOrEqual(Math.ceil((bytes.length * 4) / 3 / (MORPH_DEFAULT_MAX_REQUEST_BYTES - 16 * 1024)) + 1);
    const back = await provider.files.readFileBytes(instanceId, "/tmp/big.bin");
    expect(back.length).toBe(bytes.length);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
  });
});
