import type { Logger } from "@vm/core";
import type { z } from "zod";
import type { MorphRetryOptions } from "./retry.js";

/**
 * Options of the wrapped HTTP client (a subset of `createMorphVMProvider()`'s options).
 *
 * @example
 * ```ts
 * import type { MorphClientOptions } from "@vm/provider-morph";
 * const options: MorphClientOptions = { baseUrl: "http://127.0.0.1:3737/api", timeoutMs: 30_000 };
 * ```
 */
export interface MorphClientOptions {
  /**
   * Bearer key (visible ASCII); never shown in an error, a cause or a log.
   * @default process.env.MORPH_API_KEY
   */
  apiKey?: string;
  /**
   * API root including `/api`: an absolute http(s) URL without credentials, query or
   * fragment (checked at creation: `INVALID_ARGUMENT`). Requests never leave its origin:
   * redirects are not followed.
   * @default process.env.MORPH_BASE_URL, else "https://cloud.morph.so/api"
   */
  baseUrl?: string;
  /**
   * Per-request timeout of API calls, in ms (1 to 2^31 - 1): it bounds the whole attempt,
   * the answer's body included.
   * @default MORPH_DEFAULT_TIMEOUT_MS (30000)
   */
  timeoutMs?: number;
  /**
   * Retry policy of idempotent calls.
   * @default { attempts: MORPH_DEFAULT_RETRY_ATTEMPTS, baseDelayMs: MORPH_DEFAULT_RETRY_BASE_DELAY_MS, maxDelayMs: MORPH_DEFAULT_RETRY_MAX_DELAY_MS }
   */
  retry?: MorphRetryOptions;
  /** Where debug lines (requests, retries) go. @default none */
  logger?: Logger;
  /**
   * Largest answer body read, in bytes (1 KiB to 512 MiB): past it a call fails
   * `RESOURCE_EXHAUSTED` and the rest is not read.
   * @default MORPH_DEFAULT_MAX_RESPONSE_BYTES (385 MiB: 64 MiB of exec output, escaped as JSON)
   */
  maxResponseBytes?: number;
}

/** One API call. */
export interface MorphRequest<T> {
  method: "GET" | "POST" | "DELETE";
  /** Path below the API root, path parameters already encoded (use `pathOf`). */
  path: string;
  /** The contract operation, for errors and logs. */
  operation: string;
  searchParams?: URLSearchParams;
  json?: unknown;
  /** Response schema; omit for answers without a body (204). */
  schema?: z.ZodType<T>;
  /** May be sent again as is (GET, DELETE, state-setting POSTs). */
  idempotent: boolean;
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout; `false` for none. */
  timeoutMs?: number | false;
  /** For deletes: a 404 on a retry means an earlier attempt did the work, so it is success. */
  goneIsSuccess?: boolean;
  /**
   * Strings of the request that must never reach an error (an exec's env entries and stdin):
   * redacted, like the API key, from a server answer that echoes them.
   */
  redact?: readonly string[];
}

/** A create call: never re-sent blindly; `recover` looks up what a lost attempt made. */
export interface MorphCreateRequest<T> extends Omit<MorphRequest<T>, "idempotent"> {
  /** Finds the resource a previous attempt may have created (by its request marker). */
  recover: () => Promise<T | undefined>;
  /**
   * The call's deadline (epoch ms). When the answer does not come within the request
   * timeout, the server may still be working on it: `recover` is polled until then (the
   * request is never re-sent after a timeout), and `TIMEOUT` only when nothing appeared.
   * Without it a request timeout is `TIMEOUT` at once.
   */
  recoverUntil?: number;
}

/** A streaming answer's body, read under the request's timeout and signal. */
export interface MorphStream {
  /**
   * The next chunk, `undefined` at the end. Rejects with a `VMError`: `TIMEOUT` at the
   * request's timeout, `ABORTED` on its signal, `UNAVAILABLE` when the connection broke.
   */
  read(): Promise<Uint8Array | undefined>;
  /** Stops reading and drops the connection. */
  cancel(): Promise<void>;
}

/** The result of `request()` with how many attempts it took. */
export interface MorphResult<T> {
  data: T;
  attempts: number;
}

/**
 * The one wrapped HTTP client of the Morph provider: base URL, Bearer auth, timeouts,
 * `AbortSignal`, retries, response validation and error translation all live here.
 *
 * @example
 * ```ts
 * import { createMorphClient, instanceModelSchema } from "@vm/provider-morph";
 * const client = createMorphClient({ apiKey: "key", baseUrl: "http://127.0.0.1:3737/api" });
 * const instance = await client.request({
 *   method: "GET", path: "instance/morphvm_1", operation: "instances.get",
 *   schema: instanceModelSchema, idempotent: true,
 * });
 * ```
 */
export interface MorphClient {
  readonly baseUrl: string;
  request<T>(request: MorphRequest<T>): Promise<T>;
  requestWithAttempts<T>(request: MorphRequest<T>): Promise<MorphResult<T>>;
  create<T>(request: MorphCreateRequest<T>): Promise<T>;
  /** Opens a streaming answer (SSE); never retried. Its timeout bounds the whole stream. */
  stream(request: Omit<MorphRequest<unknown>, "schema" | "idempotent">): Promise<MorphStream>;
  toString(): string;
  toJSON(): { baseUrl: string };
}
