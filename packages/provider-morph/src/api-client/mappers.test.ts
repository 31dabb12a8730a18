import { describe, expect, it } from "vitest";
import { REQUEST_MARKER_KEY, STOPPED_KEY, TTL_STOP_KEY, contractTtlAction, instanceStatusOf, morphTtlAction, resourcesOfSpec, snapshotStatusOf, toVMInstance } from "./mappers.js";

type InstanceModel = Parameters<typeof toVMInstance>[0];

/** A ready instance as the API answers it, with `overrides`. */
function instanceModel(overrides: Partial<InstanceModel>): InstanceModel {
  return {
    id: "morphvm_1",
    created: 1_700_000_000,
    status: "ready",
    spec: { vcpus: 1, memory: 128, disk_size: 700 },
    refs: { snapshot_id: "snapshot_1", image_id: "img" },
    networking: {},
    metadata: {},
    ttl: { ttl_seconds: null, ttl_action: null },
    wake_on: {},
    ...overrides,
  } as InstanceModel;
}

describe("mappers", () => {
  it("maps statuses", () => {
    const of = (status: InstanceModel["status"], metadata: Record<string, string> = {}, ttl_expire_at?: number) =>
      instanceStatusOf({ status, metadata, ttl: { ttl_seconds: 60, ttl_action: "pause", ...(ttl_expire_at === undefined ? {} : { ttl_expire_at }) } }, 2_000_000_000_000);
    expect(of("pending")).toBe("booting");
    expect(of("ready")).toBe("ready");
    expect(of("paused")).toBe("paused");
    expect(of("error")).toBe("error");
    // stop() marks before it pauses; a TTL "stop" reads as stopped once it has run out.
    expect(of("paused", { [STOPPED_KEY]: "1" })).toBe("stopped");
    expect(of("ready", { [STOPPED_KEY]: "1" })).toBe("ready");
    expect(of("paused", { [TTL_STOP_KEY]: "1" }, 1_999_999_999)).toBe("stopped");
    expect(of("paused", { [TTL_STOP_KEY]: "1" }, 2_000_000_001)).toBe("paused");
    expect(of("paused", { [TTL_STOP_KEY]: "1" })).toBe("paused");
    expect(snapshotStatusOf("pending")).toBe("creating");
    expect(snapshotStatusOf("failed")).toBe("error");
  });

  it("maps TTL actions both ways: Morph's stop deletes, pause keeps", () => {
    expect(morphTtlAction("terminate")).toBe("stop");
    expect(morphTtlAction("stop")).toBe("pause");
    expect(morphTtlAction("pause")).toBe("pause");
    expect(contractTtlAction(morphTtlAction("stop"), { [TTL_STOP_KEY]: "1" })).toBe("stop");
    expect(contractTtlAction(morphTtlAction("pause"), {})).toBe("pause");
    expect(contractTtlAction(morphTtlAction("terminate"), {})).toBe("terminate");
  });

  it("hides the request marker and converts times and TTL", () => {
    const instance = toVMInstance(instanceModel({ metadata: { app: "demo", [REQUEST_MARKER_KEY]: "x" }, ttl: { ttl_seconds: 60, ttl_action: "stop" } }));
    expect(instance).toEqual({
      id: "morphvm_1",
      status: "ready",
      metadata: { app: "demo" },
      created_at: "2023-11-14T22:13:20.000Z",
      snapshot_id: "snapshot_1",
      ttl: { seconds: 60, action: "terminate" },
      resources: { vcpus: 1, memoryMb: 128, diskMb: 700 },
    });
  });

  it("maps spec (MB) to resources, and leaves out a spec it cannot read", () => {
    expect(resourcesOfSpec({ vcpus: 2, memory: 2048, disk_size: 8192 })).toEqual({ vcpus: 2, memoryMb: 2048, diskMb: 8192 });
    expect(resourcesOfSpec(undefined)).toBeUndefined();
    expect(resourcesOfSpec({ vcpus: 0, memory: 2048, disk_size: 8192 })).toBeUndefined();
    expect(toVMInstance(instanceModel({ spec: { vcpus: 1.5, memory: 1, disk_size: 1 } })).resources).toBeUndefined();
  });

  it("keeps metadata keys that are Object.prototype names (JSON gives them as own keys)", () => {
    const metadata = JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}') as Record<string, string>;
    const instance = toVMInstance(instanceModel({ metadata }));
    expect(Object.keys(instance.metadata ?? {}).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(Object.getPrototypeOf(instance.metadata)).toBe(Object.prototype);
    expect(instance.metadata?.["__proto__"]).toBe("p");
  });
});
