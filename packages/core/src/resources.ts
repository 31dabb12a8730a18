/**
 * The size of a machine: virtual CPUs, memory and disk. Every field is optional; a missing
 * one takes the provider's default (the bundled providers share `DEFAULT_VM_RESOURCES` of
 * `@vm/provider-kit`: 2 vCPUs, 2048 MB memory, 8192 MB disk). Values are whole numbers; the
 * bounds (`VM_RESOURCE_LIMITS` of `@vm/provider-kit`) are checked before any work and a value
 * outside them is `INVALID_ARGUMENT`. A provider that cannot size its machines has the
 * `resources` capability `false` and refuses the option with `UNSUPPORTED`.
 *
 * @example
 * ```ts
 * import type { VMResources } from "@vm/core";
 * const small: VMResources = { vcpus: 1, memoryMb: 512 };
 * ```
 */
export interface VMResources {
  /**
   * Virtual CPUs (whole CPUs).
   *
   * @default 2
   */
  vcpus?: number;
  /**
   * Memory in MB (MiB, 1024 * 1024 bytes). A process that needs more is killed by the VM's
   * out-of-memory killer, as on a real machine of that size: there is no swap beyond it.
   *
   * @default 2048
   */
  memoryMb?: number;
  /**
   * Disk size in MB (MiB). Enforced where the provider can (Morph); on Docker it is recorded
   * and reported only (see `@vm/provider-docker`'s README).
   *
   * @default 8192
   */
  diskMb?: number;
}

/**
 * The resources in force on a snapshot or an instance: every field filled in.
 *
 * @example
 * ```ts
 * import type { VMResourcesInForce } from "@vm/core";
 * const describe = (r: VMResourcesInForce) => `${r.vcpus} vCPU, ${r.memoryMb} MB, ${r.diskMb} MB disk`;
 * ```
 */
export type VMResourcesInForce = Readonly<Required<VMResources>>;
