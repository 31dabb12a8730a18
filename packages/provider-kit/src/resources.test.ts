import { describe, expect, it } from "vitest";
import { VMError } from "./errors.js";
import { DEFAULT_VM_RESOURCES, VM_RESOURCE_LIMITS, parseResources, readResources, resolveResources } from "./resources.js";
import { readBootOptions, readCreateSnapshotOptions, readFromImageOptions } from "./validate-options.js";

const ctx = { provider: "test", operation: "instances.boot" };

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof VMError) return { code: err.code, message: err.message };
    return { code: `not a VMError: ${String(err)}`, message: "" };
  }
  return { code: "accepted", message: "" };
}

describe("readResources", () => {
  it("copies a plain object of whole numbers within the limits", () => {
    expect(readResources(undefined, ctx)).toBeUndefined();
    expect(readResources({}, ctx)).toEqual({});
    const given = { vcpus: 1, memoryMb: 64, diskMb: 256 };
    const copy = readResources(given, ctx);
    expect(copy).toEqual(given);
    expect(copy).not.toBe(given);
    expect(readResources({ vcpus: 64, memoryMb: 1_048_576, diskMb: 16_777_216 }, ctx)).toEqual({ vcpus: 64, memoryMb: 1_048_576, diskMb: 16_777_216 });
    expect(readResources({ memoryMb: 512, vcpus: undefined }, ctx)).toEqual({ memoryMb: 512 });
  });

  it("refuses values out of bounds or not whole, showing the value", () => {
    expect(failure(() => readResources({ memoryMb: -1 }, ctx))).toEqual({ code: "INVALID_ARGUMENT", message: "resources.memoryMb must be a whole number from 64 to 1048576, got number -1" });
    expect(failure(() => readResources({ vcpus: 0 }, ctx)).message).toBe("resources.vcpus must be a whole number from 1 to 64, got number 0");
    expect(failure(() => readResources({ diskMb: 255 }, ctx)).message).toBe("resources.diskMb must be a whole number from 256 to 16777216, got number 255");
    // A memory size in bytes is refused, not read as petabytes.
    expect(failure(() => readResources({ memoryMb: 2 * 1024 ** 3 }, ctx)).message).toContain("got number 2147483648");
    const bad: [string, unknown][] = [["1.5", 1.5], ["NaN", NaN], ["Infinity", Infinity], ['"2"', "2"], ["null", null], ["2n", 2n], ["true", true], ["[2]", [2]], ["{}", {}]];
    for (const [label, value] of bad) {
      for (const key of ["vcpus", "memoryMb", "diskMb"]) expect(failure(() => readResources({ [key]: value }, ctx)).code, `${key}: ${label}`).toBe("INVALID_ARGUMENT");
    }
    expect(failure(() => readResources({ vcpus: VM_RESOURCE_LIMITS.vcpus.max + 1 }, ctx)).code).toBe("INVALID_ARGUMENT");
  });

  it("refuses what is not a plain object with known keys", () => {
    for (const bad of [null, 2, "x", [], new Date(0), new Map()]) expect(failure(() => readResources(bad, ctx)).code).toBe("INVALID_ARGUMENT");
    expect(failure(() => readResources({ memory: 512 }, ctx)).message).toContain('unknown key "memory"');
    expect(failure(() => readResources(Object.defineProperty({}, "vcpus", { enumerable: true, get: () => 2 }), ctx)).code).toBe("INVALID_ARGUMENT");
  });
});

describe("resources in the options readers", () => {
  it("boot() and fromImage() take resources and check them; create() refuses them", () => {
    expect(readBootOptions({ resources: { memoryMb: 512 } }, ctx).resources).toEqual({ memoryMb: 512 });
    expect(readFromImageOptions({ resources: { vcpus: 1 }, digest: "d" }, ctx)).toEqual({ resources: { vcpus: 1 }, digest: "d" });
    expect(failure(() => readBootOptions({ resources: { memoryMb: 1 } }, ctx)).code).toBe("INVALID_ARGUMENT");
    expect(failure(() => readFromImageOptions({ resources: null }, ctx)).code).toBe("INVALID_ARGUMENT");
    expect(failure(() => readCreateSnapshotOptions({ resources: { vcpus: 1 } }, ctx)).message).toContain('unknown key "resources"');
  });
});

describe("resolveResources", () => {
  it("fills each field from the override, then the base, then the defaults", () => {
    expect(resolveResources()).toEqual(DEFAULT_VM_RESOURCES);
    expect(resolveResources({ memoryMb: 512 })).toEqual({ vcpus: 2, memoryMb: 512, diskMb: 8192 });
    expect(resolveResources({ vcpus: 1 }, { vcpus: 4, memoryMb: 256, diskMb: 1024 })).toEqual({ vcpus: 1, memoryMb: 256, diskMb: 1024 });
    expect(resolveResources(undefined, { memoryMb: 300 })).toEqual({ vcpus: 2, memoryMb: 300, diskMb: 8192 });
  });

  it("defaults fit a Node app with a PM2 cluster of two (about 220 MB RSS) with room to spare", () => {
    expect(DEFAULT_VM_RESOURCES).toEqual({ vcpus: 2, memoryMb: 2048, diskMb: 8192 });
    expect(Object.isFrozen(DEFAULT_VM_RESOURCES)).toBe(true);
  });
});

describe("parseResources", () => {
  it("reads a complete set of positive whole numbers, from JSON text or an object", () => {
    expect(parseResources('{"vcpus":2,"memoryMb":2048,"diskMb":8192}')).toEqual({ vcpus: 2, memoryMb: 2048, diskMb: 8192 });
    expect(parseResources({ vcpus: 1, memoryMb: 32, diskMb: 100, extra: 1 })).toEqual({ vcpus: 1, memoryMb: 32, diskMb: 100 });
  });

  it("answers undefined for anything else, never throwing", () => {
    for (const bad of [undefined, null, "", "{", "null", "[]", '{"vcpus":2}', { vcpus: 0, memoryMb: 1, diskMb: 1 }, { vcpus: 1.5, memoryMb: 1, diskMb: 1 }, { vcpus: "1", memoryMb: 1, diskMb: 1 }]) {
      expect(parseResources(bad)).toBeUndefined();
    }
  });
});
