import type { VMResources } from "@vm/core";
import { isVMError, readResources } from "@vm/provider-kit";
import { invalid } from "../http/failure.js";
import type { ResourceSpec } from "../models.js";

/** The size fields a request may carry (`null` or absent: keep the base's). */
export interface SpecFields {
  vcpus?: number | null;
  memory?: number | null;
  disk_size?: number | null;
}

/**
 * `base` with the fields the request gives, checked before anything is made: a size the
 * backend cannot run (the kit's bounds: e.g. memory under 64 MB) is the spec's 422.
 */
export function specWith(base: ResourceSpec, given: SpecFields): ResourceSpec {
  const spec: ResourceSpec = { vcpus: given.vcpus ?? base.vcpus, memory: given.memory ?? base.memory, disk_size: given.disk_size ?? base.disk_size };
  try {
    readResources(resourcesOf(spec), { provider: "morph-emulator", operation: "spec" });
  } catch (err) {
    if (isVMError(err)) throw invalid([{ loc: ["body"], msg: err.message, type: "value_error" }]);
    throw err;
  }
  return spec;
}

/** A spec as the backend's `resources` (Morph's MB are the contract's MB). */
export function resourcesOf(spec: ResourceSpec): Required<VMResources> {
  return { vcpus: spec.vcpus, memoryMb: spec.memory, diskMb: spec.disk_size };
}
