import type { BootedInstance, VMInstance } from "@vm/core";
import { hasVMErrorCode } from "../errors.js";

/**
 * Makes an instance `boot()`/`fork()` return: the instance plus `Symbol.asyncDispose`, which
 * terminates it at the end of an `await using` scope. An instance already gone (`NOT_FOUND`:
 * terminated by the caller, or by its TTL) is fine; any other failure is thrown, so a leak is
 * not silent.
 *
 * @example
 * ```ts
 * import type { VMInstance } from "@vm/core";
 * import { bootedInstance } from "@vm/provider-kit";
 * const withDispose = (instance: VMInstance, terminate: (id: string) => Promise<void>) => bootedInstance(instance, terminate);
 * ```
 */
export function bootedInstance(instance: VMInstance, terminate: (instanceId: string) => Promise<void>): BootedInstance {
  return {
    ...instance,
    [Symbol.asyncDispose]: async () => {
      try {
        await terminate(instance.id);
      } catch (err) {
        if (!hasVMErrorCode(err, "NOT_FOUND")) throw err;
      }
    },
  };
}
