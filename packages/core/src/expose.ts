/**
 * Who may use an exposed URL.
 * - `"none"`: anyone who can reach the URL.
 * - `"api_key"`: only requests carrying the provider's API key (`Authorization: Bearer <key>`);
 *   a provider without an API key (the Docker provider, whose URLs listen on 127.0.0.1 only)
 *   refuses it with `UNSUPPORTED`.
 *
 * @example
 * ```ts
 * import type { ExposeAuth } from "@vm/core";
 * const auth: ExposeAuth = "none";
 * ```
 */
export type ExposeAuth = "none" | "api_key";

/**
 * A port of an instance reachable from outside it: HTTP (streamed responses included) and
 * WebSocket traffic to `url` reach `port` on the instance's loopback.
 *
 * @example
 * ```ts
 * import type { ExposedService } from "@vm/core";
 * const health = (service: ExposedService) => fetch(new URL("/health", service.url));
 * ```
 */
export interface ExposedService {
  /** The service's name, unique per instance. */
  readonly name: string;
  /** The port inside the instance. */
  readonly port: number;
  /** Where the service answers from the caller's machine, e.g. `http://127.0.0.1:39123/`. Ends with `/`. */
  readonly url: string;
  readonly auth: ExposeAuth;
}

/**
 * Options for `instances.expose()`.
 *
 * @example
 * ```ts
 * import type { ExposeOptions } from "@vm/core";
 * const options: ExposeOptions = { name: "web", auth: "none" };
 * ```
 */
export interface ExposeOptions {
  /**
   * The service's name: 1 to 40 characters, lower-case letters, digits, `-` and `_`, starting
   * and ending with a letter or a digit. Exposing a name again replaces that service.
   *
   * @default `port-<port>`
   */
  name?: string;
  /**
   * Who may use the URL.
   *
   * @default `"none"`
   */
  auth?: ExposeAuth;
}
