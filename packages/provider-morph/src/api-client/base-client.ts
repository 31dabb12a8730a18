import type { Logger } from "@vm/core";
import { VMError, isVMError } from "@vm/provider-kit";
import ky, { isTimeoutError, type KyInstance } from "ky";
import type { z } from "zod";
import { fromMorphResponse } from "../errors.js";
import { BodyReadError, MAX_ERROR_BODY_BYTES, boundBody, readCapped, type BoundedBody } from "./body.js";
import { MAX_TIMEOUT_MS, resolveClientOptions } from "./config.js";
import { isRedirect, locationOrigin } from "./redirect.js";
import { resolveRetryPolicy, retryDecision, type MorphRetryOptions, type RetryPolicy } from "./retry.js";
import { describeCause, isReset, parseBody, sleep } from "./transport.js";

export { metadataQuery, pathOf } from "./paths.js";

const PROVIDER = "morph";

/**
 * Options of the wrapped HTTP client (a subset of `createMorphVMProvider()`'s options).
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
   * @default 30000
   */
  timeoutMs?: number;
  /** Retry policy of idempotent calls. */
  retry?: MorphRetryOptions;
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

const ctxOf = (operation: string) => ({ provider: PROVIDER, operation });

/** An answer: its response, its URL and its body under the attempt's deadline and signal. */
interface Sent {
  response: Response;
  url: string;
  body: BoundedBody;
}

/**
 * Creates the wrapped client. A missing API key is reported (`UNAUTHENTICATED`) when the
 * first request is made, before anything is sent.
 */
export function createMorphClient(options: MorphClientOptions = {}): MorphClient {
  const { apiKey, baseUrl, origin, timeoutMs, retry, logger, maxResponseBytes } = resolveClientOptions(options, ctxOf("createMorphClient"));
  const policy: RetryPolicy = resolveRetryPolicy(retry);
  // The key lives only in this closure and in the hook below: never on an object that
  // could be logged, serialised or attached to an error.
  const http: KyInstance = ky.create({
    prefix: baseUrl,
    retry: 0,
    throwHttpErrors: false,
    redirect: "manual",
    // Whatever ky does with its options, every request goes out with redirects off and only
    // to the configured origin: a followed redirect re-sent an exec's body (its env values)
    // elsewhere, or turned it into a GET whose answer was taken as the command's result.
    fetch: (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (new URL(url).origin !== origin) return Promise.reject(new VMError("INTERNAL", "refused a request to another origin than baseUrl's", ctxOf("fetch")));
      return globalThis.fetch(input, { ...init, redirect: "manual" });
    },
    hooks: {
      beforeRequest: [
        ({ request }) => {
          request.headers.set("authorization", `Bearer ${apiKey}`);
        },
      ],
    },
  });

  function assertKey(operation: string): void {
    if (apiKey === "") {
      throw new VMError("UNAUTHENTICATED", "no Morph API key: pass options.apiKey or set MORPH_API_KEY", ctxOf(operation));
    }
  }

  function transportError(err: unknown, request: { operation: string; signal?: AbortSignal; method: string; path: string }): VMError {
    if (isVMError(err)) return err as VMError;
    const ctx = ctxOf(request.operation);
    const where = `${request.method} /${request.path.split("?")[0]}`;
    if (err instanceof BodyReadError && err.kind === "too-large") return new VMError("RESOURCE_EXHAUSTED", `${where}: ${err.message}`, { ...ctx, cause: { limit: err.limit, arrived: err.arrived } });
    if (request.signal?.aborted) return new VMError("ABORTED", `${where} was aborted`, { ...ctx, cause: describeCause(request.signal.reason) });
    if (err instanceof BodyReadError) {
      const code = err.kind === "timeout" ? "TIMEOUT" : err.kind === "aborted" ? "ABORTED" : "UNAVAILABLE";
      return new VMError(code, `${where}: ${err.message}`, { ...ctx, cause: describeCause(err.original ?? err) });
    }
    if (isTimeoutError(err)) return new VMError("TIMEOUT", `${where} got no answer in time`, { ...ctx, cause: describeCause(err) });
    if (isReset(err)) return new VMError("UNAVAILABLE", `${where} failed: the connection to the Morph API failed`, { ...ctx, cause: describeCause(err) });
    return new VMError("INTERNAL", `${where} failed unexpectedly`, { ...ctx, cause: describeCause(err) });
  }

  // A request's own timeout beyond a timer's range (an exec's limit plus its grace) is clamped, not a RangeError.
  const timeoutOf = (request: { timeoutMs?: number | false }): number | false => {
    const value = request.timeoutMs === undefined ? timeoutMs : request.timeoutMs;
    return value === false ? false : Math.min(Math.max(1, value), MAX_TIMEOUT_MS);
  };

  /**
   * Sends one attempt. Its timeout is one deadline for the answer's headers (ky's timeout)
   * and its body (the bounded reader): a body that trickles or never ends is cut there.
   */
  async function send(request: Omit<MorphRequest<unknown>, "schema" | "idempotent">): Promise<Sent> {
    const timeout = timeoutOf(request);
    const deadline = timeout === false ? undefined : Date.now() + timeout;
    // Our own abort as well as the caller's: it drops the request when its body is cut.
    const controller = new AbortController();
    const response = await http(request.path, {
      method: request.method,
      ...(request.searchParams ? { searchParams: request.searchParams } : {}),
      ...(request.json !== undefined ? { json: request.json } : {}),
      signal: request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal,
      timeout,
      redirect: "manual",
    });
    const body = boundBody(response.body, {
      ...(deadline === undefined ? {} : { deadline }),
      ...(request.signal ? { signal: request.signal } : {}),
      abort: (reason) => controller.abort(reason),
    });
    return { response, url: response.url || `${baseUrl}/${request.path}`, body };
  }

  /** An error answer's body, for its message: its first 64 KiB that arrived in time, or nothing. */
  async function errorBody(sent: Sent): Promise<unknown> {
    return parseBody(await readCapped(sent.body, MAX_ERROR_BODY_BYTES, true).catch(() => ""));
  }

  /** A 3xx is never followed: an error naming the status and where it pointed (its origin only). */
  async function redirectError(sent: Sent, request: { operation: string; method: string; path: string }): Promise<VMError> {
    await sent.body.cancel();
    const { status } = sent.response;
    const target = locationOrigin(sent.response.headers.get("location"), sent.url);
    return new VMError(
      "INTERNAL",
      `${request.method} /${request.path.split("?")[0]}: the Morph API answered ${status}, a redirect to ${target}; redirects are never followed (they would carry the request elsewhere): check baseUrl`,
      { ...ctxOf(request.operation), cause: { status, location: target } },
    );
  }

  async function decode<T>(sent: Sent, request: MorphRequest<T>): Promise<T> {
    const response = sent.response;
    if (!request.schema) {
      await sent.body.cancel();
      return undefined as T;
    }
    const body = parseBody(await readCapped(sent.body, maxResponseBytes));
    const parsed = request.schema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
      throw new VMError("INTERNAL", `Morph API answer to ${request.method} /${request.path} does not match the spec: ${issues.join("; ")}`, {
        ...ctxOf(request.operation),
        cause: { status: response.status, issues: parsed.error.issues },
      });
    }
    return parsed.data;
  }

  async function requestWithAttempts<T>(request: MorphRequest<T>): Promise<MorphResult<T>> {
    assertKey(request.operation);
    for (let attempt = 1; ; attempt++) {
      let sent: Sent;
      let data: T | undefined;
      try {
        sent = await send(request);
        logger?.debug("morph: response", { method: request.method, path: request.path, status: sent.response.status, attempt });
        if (isRedirect(sent.response)) throw await redirectError(sent, request);
        if (sent.response.ok) data = await decode(sent, request);
      } catch (err) {
        // No answer, or an answer whose body broke off or stalled: like a lost answer.
        const mapped = transportError(err, request);
        const decision = retryDecision({ attempt, idempotent: request.idempotent, networkError: mapped.code === "UNAVAILABLE" }, policy);
        if (!decision.retry) throw mapped;
        logger?.debug("morph: retrying after a network error", { method: request.method, path: request.path, attempt, delayMs: decision.delayMs });
        await sleep(decision.delayMs, request.signal).catch((e: unknown) => {
          throw transportError(e, request);
        });
        continue;
      }
      const response = sent.response;
      if (response.ok) return { data: data as T, attempts: attempt };
      if (response.status === 404 && attempt > 1 && request.goneIsSuccess) {
        await sent.body.cancel();
        return { data: undefined as T, attempts: attempt };
      }
      const body = await errorBody(sent);
      const retryAfter = response.headers.get("retry-after");
      const decision = retryDecision({ attempt, idempotent: request.idempotent, status: response.status, retryAfter }, policy);
      if (!decision.retry) throw fromMorphResponse({ status: response.status, body, retryAfter }, ctxOf(request.operation), [apiKey, ...(request.redact ?? [])]);
      logger?.debug("morph: retrying", { method: request.method, path: request.path, status: response.status, attempt, delayMs: decision.delayMs });
      await sleep(decision.delayMs, request.signal).catch((e: unknown) => {
        throw transportError(e, request);
      });
    }
  }

  // A create whose answer did not come in time may still be made: look for it (never re-send)
  // until the call's deadline.
  async function awaitLateCreate<T>(request: MorphCreateRequest<T>, deadline: number, failure: VMError): Promise<T> {
    let delay = 100;
    for (;;) {
      const found = await request.recover().catch((err: unknown) => {
        if (isFinalLookupError(err)) throw err;
        return undefined;
      });
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new VMError("TIMEOUT", `${failure.message}; it was not re-sent, and nothing it made appeared before the call's deadline (a server slower than that may still make it)`, {
          ...ctxOf(request.operation),
          cause: failure.cause,
        });
      }
      logger?.debug("morph: create timed out, looking for what it made", { path: request.path, delayMs: Math.min(delay, left) });
      await sleep(Math.min(delay, left), request.signal).catch((e: unknown) => {
        throw transportError(e, request);
      });
      delay = Math.min(delay * 2, 1_000);
    }
  }

  // Look-ups during awaitLateCreate may fail for a while (the server is slow); only an abort or
  // a failure that no wait can fix ends them early.
  function isFinalLookupError(err: unknown): boolean {
    return isVMError(err) && !["TIMEOUT", "UNAVAILABLE", "RATE_LIMITED"].includes(err.code);
  }

  async function create<T>(request: MorphCreateRequest<T>): Promise<T> {
    assertKey(request.operation);
    for (let attempt = 1; ; attempt++) {
      let failure: VMError;
      try {
        const { data } = await requestWithAttempts({ ...request, idempotent: false });
        return data;
      } catch (err) {
        failure = transportError(err, request);
        if (failure.code === "TIMEOUT" && request.recoverUntil !== undefined) return awaitLateCreate(request, request.recoverUntil, failure);
        const cause = failure.cause as { status?: number } | undefined;
        const lost = failure.code === "UNAVAILABLE" || failure.code === "RATE_LIMITED";
        if (!lost || (cause?.status !== undefined && cause.status < 500 && cause.status !== 429)) throw failure;
      }
      // The answer was lost or refused for now: whatever the server did, find it by the
      // request marker before sending again, so a lost answer never makes a duplicate. A 429
      // waits as long as the server asked (capped like any Retry-After).
      const decision = retryDecision(
        { attempt, idempotent: true, networkError: true, ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }) },
        policy,
      );
      if (!decision.retry) throw failure;
      logger?.debug("morph: create failed in transit, looking it up before resending", { path: request.path, attempt });
      await sleep(decision.delayMs, request.signal).catch((e: unknown) => {
        throw transportError(e, request);
      });
      const found = await request.recover();
      if (found !== undefined) return found;
    }
  }

  async function stream(request: Omit<MorphRequest<unknown>, "schema" | "idempotent">): Promise<MorphStream> {
    assertKey(request.operation);
    let sent: Sent;
    try {
      sent = await send(request);
    } catch (err) {
      throw transportError(err, request);
    }
    const response = sent.response;
    if (isRedirect(response)) throw await redirectError(sent, request);
    if (!response.ok) {
      const retryAfter = response.headers.get("retry-after");
      throw fromMorphResponse({ status: response.status, body: await errorBody(sent), retryAfter }, ctxOf(request.operation), [apiKey, ...(request.redact ?? [])]);
    }
    const body = sent.body;
    return {
      read: () =>
        body.read().catch((err: unknown) => {
          throw transportError(err, request);
        }),
      cancel: () => body.cancel(),
    };
  }

  return {
    baseUrl,
    request: async <T>(request: MorphRequest<T>) => (await requestWithAttempts(request)).data,
    requestWithAttempts,
    create,
    stream,
    toString: () => `MorphClient(${baseUrl})`,
    toJSON: () => ({ baseUrl }),
  };
}
