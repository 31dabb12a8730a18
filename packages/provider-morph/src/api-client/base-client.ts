import { VMError, isVMError } from "@vm/provider-kit";
import ky, { isHTTPError, isTimeoutError, type KyInstance } from "ky";
import { fromMorphResponse } from "../errors.js";
import { BodyReadError, MAX_ERROR_BODY_BYTES, boundBody, readCapped, type BoundedBody } from "./body.js";
import { MAX_TIMEOUT_MS, resolveClientOptions } from "./config.js";
import { isRedirect, locationOrigin } from "./redirect.js";
import { kyRetryOptions, type KyRetry } from "./ky-retry.js";
import { resolveRetryPolicy, retryDecision, type RetryPolicy } from "./retry.js";
import type { MorphClient, MorphClientOptions, MorphCreateRequest, MorphRequest, MorphResult, MorphStream } from "./client-types.js";
import { describeCause, isReset, parseBody, sleep } from "./transport.js";

export { metadataQuery, pathOf } from "./paths.js";
export type { MorphClient, MorphClientOptions, MorphCreateRequest, MorphRequest, MorphResult, MorphStream } from "./client-types.js";

const PROVIDER = "morph";

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
 *
 * @example
 * ```ts
 * import { createMorphClient } from "@vm/provider-morph";
 * const client = createMorphClient({ baseUrl: "http://127.0.0.1:3737/api" });
 * console.log(String(client)); // MorphClient(http://127.0.0.1:3737/api), never the key
 * ```
 */
export function createMorphClient(options: MorphClientOptions = {}): MorphClient {
  const { apiKey, baseUrl, origin, timeoutMs, retry, logger, maxResponseBytes } = resolveClientOptions(options, ctxOf("createMorphClient"));
  const policy: RetryPolicy = resolveRetryPolicy(retry);
  // The key lives only in this closure and in the hook below: never on an object that
  // could be logged, serialised or attached to an error.
  // Whatever ky does with its options, every request goes out with redirects off and only
  // to the configured origin: a followed redirect re-sent an exec's body (its env values)
  // elsewhere, or turned it into a GET whose answer was taken as the command's result.
  const guardedFetch = (input: Request | URL | string, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    if (new URL(url).origin !== origin) return Promise.reject(new VMError("INTERNAL", "refused a request to another origin than baseUrl's", ctxOf("fetch")));
    return globalThis.fetch(input, { ...init, redirect: "manual" });
  };
  const http: KyInstance = ky.create({
    prefix: baseUrl,
    retry: 0,
    throwHttpErrors: false,
    redirect: "manual",
    fetch: guardedFetch,
    hooks: {
      beforeRequest: [
        ({ request }) => {
          request.headers.set("authorization", `Bearer ${apiKey}`);
        },
      ],
      beforeRetry: [
        ({ request, error, retryCount }) => {
          const status = isHTTPError(error) ? error.response.status : undefined;
          logger?.debug("morph: retrying", { method: request.method, path: new URL(request.url).pathname, status, retry: retryCount });
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
   * Sends the request: one attempt, or as many as ky's retry makes of it (`retry`, see
   * `kyRetryOptions`). Each attempt's timeout is one deadline for the answer's headers (ky's
   * timeout) and its body (the bounded reader): a body that trickles or never ends is cut there.
   * `attempts` counts every attempt that went out.
   */
  async function send(request: Omit<MorphRequest<unknown>, "schema" | "idempotent">, retry: KyRetry, attempts: { count: number }): Promise<Sent> {
    const timeout = timeoutOf(request);
    let deadline: number | undefined;
    // Our own abort as well as the caller's: it drops the request when its body is cut.
    const controller = new AbortController();
    let response: Response;
    try {
      response = await http(request.path, {
        method: request.method,
        ...(request.searchParams ? { searchParams: request.searchParams } : {}),
        ...(request.json !== undefined ? { json: request.json } : {}),
        signal: request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal,
        timeout,
        redirect: "manual",
        retry: retry.retry,
        throwHttpErrors: retry.throwHttpErrors,
        // Per attempt: the count, and the deadline of the attempt that answers.
        fetch: (input, init) => {
          attempts.count += 1;
          deadline = timeout === false ? undefined : Date.now() + timeout;
          return guardedFetch(input, init);
        },
      });
    } catch (err) {
      if (!isHTTPError(err)) throw err;
      // ky gave up on a status it retries: it has read the body already (as `data`), so the
      // answer is rebuilt from it and read like any other error answer.
      response = err.response;
      const data: unknown = err.data;
      const text = data === undefined ? "" : typeof data === "string" ? data : JSON.stringify(data);
      return { response, url: response.url || `${baseUrl}/${request.path}`, body: boundBody(new Response(text).body, { abort: () => undefined }) };
    }
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
    const attempts = { count: 0 };
    // ky re-sends what failed before an answer (a status it retries, a network error); this
    // loop only re-sends an idempotent request whose answer broke off after its headers, which
    // is past ky's reach (its retry ends when the headers arrive).
    for (;;) {
      let sent: Sent;
      let data: T | undefined;
      try {
        sent = await send(request, kyRetryOptions(policy, { idempotent: request.idempotent, attemptsDone: attempts.count }), attempts);
        logger?.debug("morph: response", { method: request.method, path: request.path, status: sent.response.status, attempt: attempts.count });
        if (isRedirect(sent.response)) throw await redirectError(sent, request);
        if (sent.response.ok) data = await decode(sent, request);
      } catch (err) {
        const mapped = transportError(err, request);
        // Only a broken body gets here with UNAVAILABLE and attempts left: ky retried (or, for a
        // request that is not idempotent, did not retry) every network error before an answer.
        const brokenBody = err instanceof BodyReadError && mapped.code === "UNAVAILABLE";
        const decision = retryDecision({ attempt: attempts.count, idempotent: request.idempotent, networkError: brokenBody }, policy);
        if (!brokenBody || !decision.retry) throw mapped;
        logger?.debug("morph: retrying after the answer broke off", { method: request.method, path: request.path, attempt: attempts.count, delayMs: decision.delayMs });
        await sleep(decision.delayMs, request.signal).catch((e: unknown) => {
          throw transportError(e, request);
        });
        continue;
      }
      const response = sent.response;
      if (response.ok) return { data: data as T, attempts: attempts.count };
      // A delete whose earlier attempt did the work but lost its answer: the retry finds it gone.
      if (response.status === 404 && attempts.count > 1 && request.goneIsSuccess) {
        await sent.body.cancel();
        return { data: undefined as T, attempts: attempts.count };
      }
      const body = await errorBody(sent);
      const retryAfter = response.headers.get("retry-after");
      throw fromMorphResponse({ status: response.status, body, retryAfter }, ctxOf(request.operation), [apiKey, ...(request.redact ?? [])]);
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
      sent = await send(request, kyRetryOptions(policy, { idempotent: false, attemptsDone: 0 }), { count: 0 });
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
