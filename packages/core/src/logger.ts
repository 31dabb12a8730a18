/**
 * Structured logger a provider may be given. Providers never pass secrets (API keys,
 * env values, file contents) in `fields`.
 *
 * @example
 * ```ts
 * import type { Logger } from "@vm/core";
 * const logger: Logger = {
 *   debug: () => {},
 *   info: (msg, fields) => console.log(msg, fields ?? ""),
 *   warn: (msg, fields) => console.warn(msg, fields ?? ""),
 *   error: (msg, fields) => console.error(msg, fields ?? ""),
 * };
 * ```
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
