import type { VMInstance } from "@vm/core";
import { describe, expect, it } from "vitest";
import { VMError } from "../errors.js";
import { bootedInstance } from "./booted-instance.js";

const instance: VMInstance = { id: "vm-1", status: "ready", metadata: { app: "demo" }, created_at: "2026-01-01T00:00:00.000Z" };

describe("bootedInstance", () => {
  it("keeps the instance's fields and terminates it on dispose", async () => {
    const terminated: string[] = [];
    const vm = bootedInstance(instance, async (id) => {
      terminated.push(id);
    });
    expect({ ...vm }).toMatchObject(instance);
    await vm[Symbol.asyncDispose]();
    expect(terminated).toEqual(["vm-1"]);
  });

  it("an instance already gone (NOT_FOUND) disposes quietly", async () => {
    const vm = bootedInstance(instance, () => Promise.reject(new VMError("NOT_FOUND", "gone")));
    await expect(vm[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it("any other failure is thrown: a leak is not silent", async () => {
    const vm = bootedInstance(instance, () => Promise.reject(new VMError("UNAVAILABLE", "engine down")));
    await expect(vm[Symbol.asyncDispose]()).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });
});
