import { instanceModelSchema, snapshotModelSchema } from "@vm/provider-morph/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MorphEmulator } from "../src/index.js";
import { rawApi, removeLeftovers, startTestEmulator, waitFor } from "./support.js";

// Sizes on the raw API: Morph's defaults when a client sends none, boot overrides, boot from an
// image, and the memory limit in force inside the container (cgroup v1 or v2, whichever the
// engine has).
const KEY = `emu-resources-${Math.random().toString(36).slice(2)}`;
const SESSION = `emu-resources-${process.pid}-${Date.now().toString(36)}`;
let emulator: MorphEmulator;

const api = rawApi(() => emulator, KEY);

async function ok(method: string, path: string, body?: unknown): Promise<unknown> {
  const answer = await api(method, path, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

async function ready(id: string) {
  return waitFor(`instance ${id} ready`, async () => {
    const model = instanceModelSchema.parse(await ok("GET", `/instance/${id}`));
    if (model.status === "error") throw new Error(`instance ${id} failed to boot`);
    return model.status === "ready" ? model : undefined;
  });
}

/** The container's memory limit in MB as its cgroup shows it. */
async function memoryLimitMb(id: string): Promise<number> {
  const line = "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes";
  const answer = (await ok("POST", `/instance/${id}/exec`, { command: [line] })) as { stdout: string; exit_code: number };
  expect(answer.exit_code).toBe(0);
  return Number(answer.stdout.trim()) / (1024 * 1024);
}

beforeAll(async () => {
  emulator = await startTestEmulator(KEY, SESSION);
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  expect(await removeLeftovers(SESSION)).toEqual([]);
}, 60_000);

describe("resources on the emulator", () => {
  it("POST /snapshot stores Morph's defaults (1/128/700) when the client sends no size; a boot overrides and enforces them", async () => {
    const snapshot = snapshotModelSchema.parse(await ok("POST", "/snapshot", { image_id: "morphvm-minimal" }));
    expect(snapshot.spec).toEqual({ vcpus: 1, memory: 128, disk_size: 700 });
    const booted = instanceModelSchema.parse(await ok("POST", `/snapshot/${snapshot.id}/boot`, { memory: 256 }));
    expect(booted.spec).toEqual({ vcpus: 1, memory: 256, disk_size: 700 });
    const instance = await ready(booted.id);
    expect(instance.spec).toEqual({ vcpus: 1, memory: 256, disk_size: 700 });
    expect(await memoryLimitMb(instance.id)).toBe(256);
    expect((await api("DELETE", `/instance/${instance.id}`)).status).toBe(204);
    expect((await api("POST", `/snapshot/${snapshot.id}/boot`, { memory: 1 })).status).toBe(422);
    expect((await api("DELETE", `/snapshot/${snapshot.id}`)).status).toBe(204);
  }, 60_000);

  it("POST /image/{id}/boot boots with the sizes given, enforced", async () => {
    const booted = instanceModelSchema.parse(await ok("POST", "/image/morphvm-minimal/boot", { vcpus: 1, memory: 192, metadata: { purpose: "image-boot" } }));
    expect(booted.spec).toEqual({ vcpus: 1, memory: 192, disk_size: 700 });
    const instance = await ready(booted.id);
    expect(instance.metadata).toEqual({ purpose: "image-boot" });
    expect(await memoryLimitMb(instance.id)).toBe(192);
    expect((await api("DELETE", `/instance/${instance.id}`)).status).toBe(204);
    expect((await api("POST", "/image/no-such-image/boot", {})).status).toBe(404);
  }, 60_000);
});
