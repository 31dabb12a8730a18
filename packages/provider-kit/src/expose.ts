import type { ExposeAuth, ExposeOptions } from "@vm/core";
import { VMError } from "./errors.js";
import { type ErrorContext, assertId, assertInteger } from "./validate.js";
import { readOptionsObject } from "./validate-options.js";

/** A service name: Morph's rule for HTTP services, held on every provider so names travel. */
const SERVICE_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?$/;

/** What `readExposeCall()` returns: the port and the options with their defaults filled in. */
export interface ExposeCall {
  port: number;
  name: string;
  auth: ExposeAuth;
}

/**
 * Checks a service name (`ExposeOptions.name`, `unexpose()`'s argument): 1 to 40 characters of
 * `a-z`, `0-9`, `-` and `_`, starting and ending with a letter or a digit.
 *
 * @example
 * ```ts
 * import { assertServiceName } from "@vm/provider-kit";
 * assertServiceName("web", { provider: "docker", operation: "instances.unexpose" });
 * ```
 */
export function assertServiceName(name: unknown, ctx: ErrorContext, what = "name"): asserts name is string {
  if (typeof name !== "string" || !SERVICE_NAME.test(name)) {
    const shown = typeof name === "string" ? JSON.stringify(name.slice(0, 60)) : typeof name;
    throw new VMError("INVALID_ARGUMENT", `${what} must be 1 to 40 characters of a-z, 0-9, - and _, starting and ending with a letter or a digit, got ${shown}`, ctx);
  }
}

/**
 * Checks the arguments of `instances.expose()` and fills in the defaults (`name`
 * `port-<port>`, `auth` `"none"`). `port` is a whole number from 1 to 65535.
 *
 * @example
 * ```ts
 * import { readExposeCall } from "@vm/provider-kit";
 * const { port, name, auth } = readExposeCall("abc", 3000, { name: "web" }, { provider: "docker", operation: "instances.expose" });
 * ```
 */
export function readExposeCall(instanceId: unknown, port: unknown, options: unknown, ctx: ErrorContext): ExposeCall {
  assertId(instanceId, ctx, "instanceId");
  assertInteger(port, ctx, "port", 1, 65_535);
  const o = (readOptionsObject(options, ctx, "options", ["name", "auth"]) ?? {}) as ExposeOptions;
  // undefined is the default; null is a wrong type like any other (never "absent").
  const name: unknown = o.name === undefined ? `port-${port}` : o.name;
  assertServiceName(name, ctx, "options.name");
  const auth: unknown = o.auth === undefined ? "none" : o.auth;
  if (auth !== "none" && auth !== "api_key") throw new VMError("INVALID_ARGUMENT", `options.auth must be "none" or "api_key", got ${typeof auth === "string" ? JSON.stringify(auth.slice(0, 60)) : typeof auth}`, ctx);
  return { port, name, auth };
}
