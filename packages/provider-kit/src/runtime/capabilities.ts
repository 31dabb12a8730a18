import type { ProviderCapabilities } from "@vm/core";
import { VMError } from "../errors.js";

/**
 * The name of one capability of `ProviderCapabilities`.
 *
 * @example
 * ```ts
 * import type { CapabilityName } from "@vm/provider-kit";
 * const name: CapabilityName = "fork";
 * ```
 */
export type CapabilityName = keyof ProviderCapabilities;

// A record, not a list: adding a capability to @vm/core fails to compile here until it is named.
const ALL: Record<CapabilityName, true> = {
  fork: true,
  ttl: true,
  snapshots: true,
  fromImage: true,
  images: true,
  stdin: true,
  execUser: true,
  execStream: true,
  stop: true,
  pause: true,
  fileOwnership: true,
  processes: true,
  resources: true,
  expose: true,
  stdinStream: true,
  ttlPause: true,
};

/**
 * Every capability name the contract has.
 */
export const CAPABILITY_NAMES: readonly CapabilityName[] = Object.freeze(Object.keys(ALL) as CapabilityName[]);

/**
 * A provider's frozen `capabilities`: every capability claimed except those listed in
 * `unsupported`, so what differs between providers is the one list. The conformance suite
 * holds every claim (a claimed capability whose cases fail fails the suite). An unknown name is
 * `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * import { capabilitiesWithout } from "@vm/provider-kit";
 * const capabilities = capabilitiesWithout(["pause", "fork"]);
 * console.log(capabilities.fork, capabilities.ttl); // false true
 * ```
 */
export function capabilitiesWithout(unsupported: readonly CapabilityName[]): ProviderCapabilities {
  for (const name of unsupported) {
    if (!Object.hasOwn(ALL, name)) throw new VMError("INVALID_ARGUMENT", `unknown capability ${JSON.stringify(String(name))}; known: ${CAPABILITY_NAMES.join(", ")}`, { operation: "capabilitiesWithout" });
  }
  return Object.freeze(Object.fromEntries(CAPABILITY_NAMES.map((name) => [name, !unsupported.includes(name)])) as unknown as ProviderCapabilities);
}

/**
 * The `UNSUPPORTED` error of a method whose capability is `false`: every provider words it
 * alike and throws it before any work.
 *
 * @example
 * ```ts
 * import { unsupportedCapability } from "@vm/provider-kit";
 * throw unsupportedCapability("pause", { provider: "host", operation: "instances.pause" }, "the host cannot freeze itself");
 * ```
 */
export function unsupportedCapability(capability: CapabilityName, ctx: { provider: string; operation: string }, why?: string): VMError {
  return new VMError("UNSUPPORTED", `${ctx.operation}: ${ctx.provider} does not support it (capabilities.${capability} is false)${why ? `: ${why}` : ""}`, ctx);
}
