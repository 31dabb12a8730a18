/** The Docker provider's default `maxOutputBytes`: the most output (stdout + stderr) one exec returns there. */
const EXEC_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Default cap of one answer body (`maxResponseBytes`): 385 MiB. The biggest legitimate answer
 * is an exec result, whose stdout and stderr travel as JSON strings: 64 MiB of output (what
 * the Docker provider returns by default) is at most 6 times larger as JSON (`\u0000` for a
 * control byte), plus 1 MiB for the rest of the answer. Reading stops there: an endless or
 * huge answer costs the client at most this much memory.
 *
 * @example
 * ```ts
 * import { MORPH_DEFAULT_MAX_RESPONSE_BYTES, createMorphVMProvider } from "@vm/provider-morph";
 * const provider = createMorphVMProvider({ maxResponseBytes: MORPH_DEFAULT_MAX_RESPONSE_BYTES / 4 });
 * ```
 */
export const MORPH_DEFAULT_MAX_RESPONSE_BYTES = 6 * EXEC_OUTPUT_BYTES + 1024 * 1024;

/**
 * Largest `maxResponseBytes`: a body is decoded into one string, and V8 strings hold at most
 * 2^29 - 24 characters.
 */
export const MORPH_MAX_RESPONSE_BYTES_LIMIT = 2 ** 29 - 1024;

/**
 * Default cap of one `exec/sse` event, or of what arrives without completing one
 * (`maxEventBytes`): 8 MiB. Morph streams output as it is read from the command, in pieces of
 * at most a pipe read (64 KiB, 384 KiB as JSON at worst); a line that never ends is cut here.
 *
 * @example
 * ```ts
 * import { MORPH_DEFAULT_MAX_EVENT_BYTES } from "@vm/provider-morph";
 * console.log(MORPH_DEFAULT_MAX_EVENT_BYTES); // 8388608
 * ```
 */
export const MORPH_DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;

/** Error answers are read only for their message (clipped to 500 characters): their first 64 KiB. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Why reading an answer's body failed. */
export class BodyReadError extends Error {
  constructor(
    readonly kind: "timeout" | "aborted" | "reset" | "too-large",
    readonly original?: unknown,
    readonly limit?: number,
    readonly arrived?: number,
  ) {
    super(
      kind === "timeout"
        ? "the answer did not complete in time"
        : kind === "aborted"
          ? "the call was aborted while the answer was read"
          : kind === "too-large"
            ? `the answer is larger than maxResponseBytes (${limit} bytes): ${arrived} bytes had arrived when reading stopped`
            : "the connection failed while the answer was read",
    );
    this.name = "BodyReadError";
  }
}

/** When to stop reading a body: a deadline (epoch ms) and a signal. */
export interface BodyBounds {
  deadline?: number;
  signal?: AbortSignal;
  /** Also drops the request (its own abort), so its connection closes whatever the body does. */
  abort: (reason: Error) => void;
}

/**
 * A response body read chunk by chunk under a deadline and a signal. The read is raced
 * against both and the stream cancelled when one fires: aborting the request's signal alone
 * did not end the read of a fast body through ky (measured: 256 MiB read past a 1 s timeout),
 * and a body that never ends then grew the client's memory without bound.
 */
export interface BoundedBody {
  /** The next chunk, `undefined` at the end; rejects with a `BodyReadError`. */
  read(): Promise<Uint8Array | undefined>;
  /** Stops reading and drops the connection. */
  cancel(): Promise<void>;
}

export function boundBody(body: ReadableStream<Uint8Array> | null, bounds: BodyBounds): BoundedBody {
  const reader = body?.getReader();
  let stopped: BodyReadError | undefined;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  let rejectStop: (err: BodyReadError) => void = () => undefined;
  const stop = new Promise<never>((_, reject) => (rejectStop = reject));
  stop.catch(() => undefined);

  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    bounds.signal?.removeEventListener("abort", onAbort);
  };
  const halt = (err: BodyReadError) => {
    if (stopped) return;
    stopped = err;
    finish();
    rejectStop(err);
    void reader?.cancel(err).catch(() => undefined);
    bounds.abort(err);
  };
  // Read through a function: the flag changes while a read awaits.
  const stoppedBy = (): BodyReadError | undefined => stopped;
  const onAbort = () => halt(new BodyReadError("aborted", bounds.signal?.reason));
  if (bounds.signal?.aborted) onAbort();
  else bounds.signal?.addEventListener("abort", onAbort, { once: true });
  if (bounds.deadline !== undefined && !stopped) {
    timer = setTimeout(() => halt(new BodyReadError("timeout")), Math.max(0, bounds.deadline - Date.now()));
  }

  return {
    async read() {
      if (stopped) throw stopped;
      if (!reader) {
        finish();
        return undefined;
      }
      let result: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;
      try {
        result = await Promise.race([reader.read(), stop]);
      } catch (err) {
        finish();
        throw stoppedBy() ?? new BodyReadError("reset", err);
      }
      // A cancel resolves a pending read as done: that is the stop, not the end.
      const why = stoppedBy();
      if (why) throw why;
      if (result.done) finish();
      return result.done ? undefined : result.value;
    },
    async cancel() {
      finish();
      if (!stopped) stopped = new BodyReadError("aborted");
      await reader?.cancel().catch(() => undefined);
      bounds.abort(stopped);
    },
  };
}

/**
 * Reads a whole body as text, never buffering more than `limit` bytes. Past it: a
 * `BodyReadError("too-large")`, or with `truncate` the first `limit` bytes; the rest is not
 * read and the connection is dropped either way.
 */
export async function readCapped(body: BoundedBody, limit: number, truncate = false): Promise<string> {
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let total = 0;
  for (;;) {
    const chunk = await body.read();
    if (chunk === undefined) break;
    if (total + chunk.byteLength > limit) {
      await body.cancel();
      if (!truncate) throw new BodyReadError("too-large", undefined, limit, total + chunk.byteLength);
      parts.push(decoder.decode(chunk.subarray(0, limit - total), { stream: true }));
      break;
    }
    total += chunk.byteLength;
    parts.push(decoder.decode(chunk, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join("");
}
