import type { VMResources, VMResourcesInForce } from "@vm/core";
import { type ErrorContext, assertInteger } from "./validate.js";
import { readOptionsObject } from "./validate-options.js";

/**
 * The resources a snapshot gets when `fromImage()` is given none (or only some): 2 vCPUs,
 * 2048 MB memory, 8192 MB disk. Both bundled providers use these, so a program sized on
 * Docker runs the same on Morph (whose own API defaults, 1 vCPU / 128 MB / 700 MB, are too
 * small for Node: the demo's PM2 cluster of two apps alone uses about 220 MB RSS).
 */
export const DEFAULT_VM_RESOURCES: VMResourcesInForce = Object.freeze({ vcpus: 2, memoryMb: 2048, diskMb: 8192 });

/**
 * The bounds `readResources` enforces, inclusive, in whole units (MB = MiB):
 * - `vcpus` 1 to 64: the largest machines the providers offer; a value in millicores (1000)
 *   is refused rather than asked of the backend.
 * - `memoryMb` 64 to 1_048_576 (1 TiB): below 64 MB a Linux userland with a shell does not
 *   boot reliably; a value given in bytes (2 GiB = 2147483648) is over the top and refused
 *   instead of read as 2 PB.
 * - `diskMb` 256 to 16_777_216 (16 TiB, ext4's largest file system with 4 KiB blocks): no
 *   base image fits in less than 256 MB.
 */
export const VM_RESOURCE_LIMITS = Object.freeze({
  vcpus: Object.freeze({ min: 1, max: 64 }),
  memoryMb: Object.freeze({ min: 64, max: 1_048_576 }),
  diskMb: Object.freeze({ min: 256, max: 16_777_216 }),
});

const KEYS = ["vcpus", "memoryMb", "diskMb"] as const satisfies readonly (keyof VMResources)[];

/**
 * Checks a `resources` option (`FromImageOptions.resources`, `BootOptions.resources`) and
 * returns a copy: a plain object with only `vcpus`, `memoryMb`, `diskMb`, each a whole number
 * within `VM_RESOURCE_LIMITS`. Anything else is `INVALID_ARGUMENT` (the value shown, e.g.
 * `resources.memoryMb must be a whole number from 64 to 1048576, got number -1`).
 * `undefined` gives `undefined`.
 *
 * @example
 * ```ts
 * import { readResources } from "@vm/provider-kit";
 * const resources = readResources({ memoryMb: 512 }, { provider: "docker", operation: "instances.boot" });
 * ```
 */
export function readResources(value: unknown, ctx: ErrorContext): VMResources | undefined {
  const copy = readOptionsObject(value, ctx, "resources", KEYS);
  if (copy === undefined) return undefined;
  for (const key of KEYS) {
    if (copy[key] !== undefined) assertInteger(copy[key], ctx, `resources.${key}`, VM_RESOURCE_LIMITS[key].min, VM_RESOURCE_LIMITS[key].max);
  }
  return copy;
}

/**
 * The resources in force: each field of `override`, else of `base`, else of
 * `DEFAULT_VM_RESOURCES`. For a snapshot, `base` is omitted; for a boot it is the snapshot's.
 *
 * @example
 * ```ts
 * import { resolveResources } from "@vm/provider-kit";
 * resolveResources({ memoryMb: 512 }); // { vcpus: 2, memoryMb: 512, diskMb: 8192 }
 * ```
 */
export function resolveResources(override?: VMResources, base: VMResources = DEFAULT_VM_RESOURCES): VMResourcesInForce {
  return {
    vcpus: override?.vcpus ?? base.vcpus ?? DEFAULT_VM_RESOURCES.vcpus,
    memoryMb: override?.memoryMb ?? base.memoryMb ?? DEFAULT_VM_RESOURCES.memoryMb,
    diskMb: override?.diskMb ?? base.diskMb ?? DEFAULT_VM_RESOURCES.diskMb,
  };
}

/**
 * Reads resources a backend reported (a label's JSON text, a mapped server answer): the
 * complete set of positive whole numbers, or `undefined` for anything else. No upper or lower
 * bound: what the backend says is in force is reported as it is. Never throws: an answer the
 * provider cannot read is "not known", not an error of the caller's call.
 *
 * @example
 * ```ts
 * import { parseResources } from "@vm/provider-kit";
 * parseResources('{"vcpus":2,"memoryMb":2048,"diskMb":8192}'); // { vcpus: 2, memoryMb: 2048, diskMb: 8192 }
 * ```
 */
export function parseResources(value: unknown): VMResourcesInForce | undefined {
  let parsed: unknown = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const whole = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;
  const { vcpus, memoryMb, diskMb } = record;
  if (!whole(vcpus) || !whole(memoryMb) || !whole(diskMb)) return undefined;
  return { vcpus, memoryMb, diskMb };
}
