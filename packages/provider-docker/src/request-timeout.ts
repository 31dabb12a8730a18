import type { IncomingMessage } from "node:http";
import type Dockerode from "dockerode";


/** `code` of the error a bounded request fails with; `fromDockerError` turns it into UNAVAILABLE. */
export const REQUEST_TIMEOUT_CODE = "VM_DOCKER_REQUEST_TIMEOUT";

/**
 * The engine did not answer in time. Internal: callers only ever see the UNAVAILABLE
 * `VMError` that `fromDockerError` makes of it (this stays its `cause`).
 */
export class DockerRequestTimeoutError extends Error {
  readonly code = REQUEST_TIMEOUT_CODE;
  /** What went unanswered, e.g. `GET /containers/3f2a…/json` (no query string: filters may carry metadata). */
  readonly request: string;
  readonly timeoutMs: number;
  constructor(request: string, timeoutMs: number) {
    super(`Docker engine did not answer ${request} within ${timeoutMs} ms (requestTimeoutMs)`);
    this.name = "DockerRequestTimeoutError";
    this.request = request;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * How one engine request is bounded:
 * - `answer`: a short request/response call; the whole call (until the full answer) is bounded.
 * - `setup`: a stream (exec attach, logs, archive download); bounded until the response headers
 *   or the upgrade arrive. After that its silence may be legitimate (a quiet command), so only
 *   the caller's `timeoutMs`/`signal` (or boot's deadline) bound it.
 * - `liveness`: a call whose length scales with data or a grace period (commit, stop, wait,
 *   remove, an archive upload); no fixed bound could not break a legitimate one, so while it
 *   runs the engine is pinged, and a ping it does not answer in time fails the call.
 * - `download`: an archive download (`readFile`): bounded like `setup` until its response
 *   starts, then like `liveness` while its body streams (the stream fails with the timeout
 *   error). Nothing else bounds it: `readFile` has no `timeoutMs`, and an engine frozen
 *   mid-download would otherwise leave it waiting for ever.
 */
export type RequestBound = "answer" | "setup" | "liveness" | "download";

/** The subset of docker-modem's `dial` options this looks at. */
export interface DialOptions {
  path: string;
  method: string;
  isStream?: boolean;
  hijack?: boolean;
  openStdin?: boolean;
  file?: unknown;
  abortSignal?: AbortSignal;
  statusCodes?: Record<number, boolean | string>;
  options?: unknown;
}

type DialCallback = (err: unknown, data?: unknown) => void;

interface Modem {
  dial(options: DialOptions, callback: DialCallback): unknown;
}

const LIVENESS = [
  /^POST \/commit$/,
  /^POST \/containers\/[^/]+\/(stop|restart|wait)$/,
  /^DELETE \/containers\/[^/]+$/,
  /^DELETE \/images\/.+$/,
  /^PUT \/containers\/[^/]+\/archive$/,
];

/** `METHOD /path` without the query string. */
export function describeRequest(options: Pick<DialOptions, "method" | "path">): string {
  return `${options.method} ${options.path.split("?")[0] ?? ""}`;
}

/**
 * Which bound a request gets (see `RequestBound`). Pure; exported for tests.
 *
 * @example
 * ```ts
 * requestBound({ method: "GET", path: "/containers/abc/json?" }); // "answer"
 * requestBound({ method: "POST", path: "/commit?" }); // "liveness"
 * ```
 */
export function requestBound(options: DialOptions): RequestBound {
  const request = describeRequest(options);
  if (LIVENESS.some((re) => re.test(request))) return "liveness";
  if (/^GET \/containers\/[^/]+\/archive$/.test(request)) return "download";
  // A streamed upload other than the archive one (none used today) is a long call too.
  if (options.file !== undefined && typeof options.file !== "string") return "liveness";
  if (options.isStream === true || options.hijack === true || options.openStdin === true) return "setup";
  return "answer";
}

/**
 * Pings the engine (`GET /_ping`) every `timeoutMs` while a long call runs; calls `onDead` if
 * one ping is not answered within `timeoutMs`. A ping that fails otherwise (engine gone) is
 * ignored: the long call fails by itself then. Returns a stop function.
 */
function watchLiveness(base: Modem, timeoutMs: number, onDead: () => void): () => void {
  let stopped = false;
  let next: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let ping: AbortController | undefined;
  const probe = () => {
    if (stopped) return;
    const controller = new AbortController();
    ping = controller;
    let answered = false;
    deadline = setTimeout(() => {
      if (answered || stopped) return;
      controller.abort();
      onDead();
    }, timeoutMs);
    base.dial({ path: "/_ping", method: "GET", statusCodes: { 200: true, 500: "server error" }, abortSignal: controller.signal }, () => {
      answered = true;
      clearTimeout(deadline);
      ping = undefined;
      if (!stopped) next = setTimeout(probe, timeoutMs);
    });
  };
  next = setTimeout(probe, timeoutMs);
  return () => {
    stopped = true;
    clearTimeout(next);
    clearTimeout(deadline);
    ping?.abort();
  };
}

// Every status code, accepted: a buffered answer's status is checked by `readAnswer`.
const ANY_STATUS: Record<number, true> = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [i + 100, true]));

/** The error docker-modem builds for an answer whose status its caller did not accept (same text, same fields). */
function statusError(res: IncomingMessage, statusCodes: Record<number, boolean | string>, json: unknown): Error {
  const status = res.statusCode ?? 0;
  const reason = statusCodes[status];
  const cause = json as { message?: unknown; error?: unknown } | null;
  const detail: unknown = cause?.message || cause?.error || cause;
  // docker-modem would print an object as "[object Object]"; its JSON says more.
  const text = typeof detail === "string" ? detail : Buffer.isBuffer(detail) ? detail.toString() : JSON.stringify(detail);
  const err = new Error(`(HTTP code ${status}) ${typeof reason === "string" ? reason : "unexpected"} - ${text} `) as Error & Record<string, unknown>;
  err.reason = reason;
  err.statusCode = status;
  err.json = json;
  return err;
}

/**
 * Reads a whole answer the way docker-modem does for a non-stream request (JSON when it parses,
 * else the bytes; a status `statusCodes` does not accept is an error), with one difference:
 * a connection that closes before the body is complete is an ECONNRESET error. docker-modem
 * listens only for the body's `end`, which never comes then (an engine killed after it sent
 * the headers), so its callback never ran: a call hung until requestTimeoutMs, and a long call
 * (whose liveness pings fail fast on a dead engine) for ever.
 */
function readAnswer(res: IncomingMessage, statusCodes: Record<number, boolean | string>, caller: AbortSignal | undefined, callback: DialCallback): void {
  const chunks: Buffer[] = [];
  let settled = false;
  const settle = (err: unknown, data?: unknown) => {
    if (settled) return;
    settled = true;
    callback(err, data);
  };
  // A caller's abort after the headers destroys the connection too: it stays an abort.
  const cut = (err: unknown) =>
    settle(caller?.aborted ? Object.assign(new Error("The operation was aborted", { cause: caller.reason }), { name: "AbortError", code: "ABORT_ERR" }) : err);
  res.on("data", (chunk: Buffer) => chunks.push(chunk));
  res.on("error", cut);
  res.on("close", () => {
    if (!res.complete) cut(Object.assign(new Error("the connection to the engine closed before its answer was complete"), { code: "ECONNRESET" }));
  });
  res.on("end", () => {
    const buffer = Buffer.concat(chunks);
    let json: unknown = null;
    try {
      json = JSON.parse(buffer.toString());
    } catch {
      // Not JSON: the bytes are the answer (docker-modem's `parseJSON(text) || buffer`).
    }
    json ||= buffer;
    if (statusCodes[res.statusCode ?? 0] !== true) settle(statusError(res, statusCodes, json));
    else settle(null, json);
  });
}

/**
 * One request through `base.dial`, bounded as `requestBound` says. On the bound the request is
 * aborted and the callback gets a `DockerRequestTimeoutError` at once (whatever the modem
 * reports later is dropped). A caller's own `abortSignal` still works and stays an abort
 * (ABORTED), never a timeout.
 */
function dialBounded(base: Modem, timeoutMs: number, options: DialOptions, callback: DialCallback): unknown {
  const bound = requestBound(options);
  const request = describeRequest(options);
  const controller = new AbortController();
  const caller = options.abortSignal;
  options.abortSignal = caller ? AbortSignal.any([caller, controller.signal]) : controller.signal;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  let stopLiveness: (() => void) | undefined;
  const finish: DialCallback = (err, data) => {
    if (done) {
      // An answer that arrives after the timeout: nobody reads it, release it.
      const late = data as { destroy?: () => void } | undefined;
      if (!err && typeof late?.destroy === "function") late.destroy();
      return;
    }
    done = true;
    clearTimeout(timer);
    stopLiveness?.();
    callback(err, data);
  };
  const fail = (what: string) => {
    if (done) return;
    const err = new DockerRequestTimeoutError(what, timeoutMs);
    finish(err);
    controller.abort(err);
  };
  if (bound === "liveness") stopLiveness = watchLiveness(base, timeoutMs, () => fail(`a liveness ping (GET /_ping) during ${request}`));
  else timer = setTimeout(() => fail(request), timeoutMs);
  if (bound === "download") {
    return base.dial(options, (err, data) => {
      const late = done;
      finish(err, data);
      const body = data as { destroy?: (err: Error) => void; once?: (event: string, listener: () => void) => void; destroyed?: boolean } | undefined;
      if (late || err || typeof body?.destroy !== "function" || typeof body.once !== "function" || body.destroyed) return;
      // The body is the caller's now: a frozen engine ends it with the timeout error.
      const stop = watchLiveness(base, timeoutMs, () => body.destroy?.(new DockerRequestTimeoutError(`a liveness ping (GET /_ping) during ${request}`, timeoutMs)));
      body.once("close", stop);
    });
  }
  // A call docker-modem would buffer (not a stream, not an attach) is sent as a stream and read
  // by readAnswer, which notices a connection cut mid-answer (see there).
  const buffered = options.isStream !== true && options.hijack !== true && options.openStdin !== true;
  if (!buffered) return base.dial(options, finish);
  const statusCodes = options.statusCodes ?? {};
  return base.dial({ ...options, isStream: true, statusCodes: ANY_STATUS }, (err, data) => {
    if (err || done) finish(err, data);
    else readAnswer(data as IncomingMessage, statusCodes, caller, finish);
  });
}

/**
 * A view of `docker` whose requests are bounded by `timeoutMs` (see `RequestBound`). The
 * caller's Dockerode is not changed: the view has its own modem, which inherits everything
 * from the original and sends through the original's `dial` (looked up per call, so a
 * wrapper installed on it later still sees every request).
 */
export function withRequestTimeouts(docker: Dockerode, timeoutMs: number): Dockerode {
  const base = (docker as unknown as { modem: Modem }).modem;
  const modem = Object.create(base) as Modem;
  modem.dial = (options, callback) => dialBounded(base, timeoutMs, options, callback);
  const bounded = Object.create(docker) as Dockerode;
  Object.defineProperty(bounded, "modem", { value: modem, enumerable: true, writable: false });
  return bounded;
}
