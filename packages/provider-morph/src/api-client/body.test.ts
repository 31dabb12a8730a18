import { describe, expect, it } from "vitest";
import { BodyReadError, boundBody, readCapped } from "./body.js";

const enc = new TextEncoder();

/** A body of `chunks`, then (with `endless`) one more chunk per pull for ever; counts pulls and cancels. */
function source(chunks: string[], endless = false) {
  const seen = { pulls: 0, cancelled: false };
  let i = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulls++;
        if (i < chunks.length) controller.enqueue(enc.encode(chunks[i++]));
        else if (endless) controller.enqueue(enc.encode("x".repeat(1024)));
        else controller.close();
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { body, seen };
}

/** A body that never sends anything (a server that stalls after its headers). */
function stalled() {
  const seen = { cancelled: false };
  const body = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined), cancel: () => void (seen.cancelled = true) }, { highWaterMark: 0 });
  return { body, seen };
}

async function rejection(promise: Promise<unknown>): Promise<BodyReadError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BodyReadError);
  return err as BodyReadError;
}

describe("readCapped", () => {
  it("reads a whole body within the cap, multi-byte characters split across chunks included", async () => {
    const euro = enc.encode("€");
    const parts = [new Uint8Array([...enc.encode("a"), euro[0]!]), new Uint8Array([euro[1]!, euro[2]!])];
    const body = new ReadableStream<Uint8Array>({ start: (c) => (parts.forEach((p) => c.enqueue(p)), c.close()) });
    const aborts: Error[] = [];
    expect(await readCapped(boundBody(body, { abort: (e) => aborts.push(e) }), 4)).toBe("a€");
    expect(aborts).toEqual([]);
  });

  it("stops an endless body at the cap: too-large with the limit and what arrived, the stream cancelled, the request dropped", async () => {
    const { body, seen } = source([], true);
    const aborts: Error[] = [];
    const err = await rejection(readCapped(boundBody(body, { abort: (e) => aborts.push(e) }), 10_000));
    expect(err.kind).toBe("too-large");
    expect(err.message).toContain("10000 bytes");
    expect(err.message).toContain("10240 bytes had arrived");
    expect(seen.cancelled).toBe(true);
    expect(seen.pulls).toBeLessThanOrEqual(11);
    expect(aborts).toHaveLength(1);
  });

  it("with truncate, keeps the first bytes of a large error body and drops the rest", async () => {
    const { body, seen } = source(["abc", "defgh", "ijk"]);
    expect(await readCapped(boundBody(body, { abort: () => undefined }), 6, true)).toBe("abcdef");
    expect(seen.cancelled).toBe(true);
  });
});

describe("boundBody", () => {
  it("a stalled body ends at the deadline (timeout) and is cancelled", async () => {
    const { body, seen } = stalled();
    const aborts: Error[] = [];
    const err = await rejection(readCapped(boundBody(body, { deadline: Date.now() + 50, abort: (e) => aborts.push(e) }), 1024));
    expect(err.kind).toBe("timeout");
    expect(seen.cancelled).toBe(true);
    expect(aborts).toHaveLength(1);
  });

  it("a signal ends a stalled read (aborted), also one aborted before reading", async () => {
    const { body, seen } = stalled();
    const controller = new AbortController();
    const reading = readCapped(boundBody(body, { signal: controller.signal, abort: () => undefined }), 1024);
    controller.abort(new Error("caller gave up"));
    expect((await rejection(reading)).kind).toBe("aborted");
    expect(seen.cancelled).toBe(true);
    const already = boundBody(source(["a"]).body, { signal: AbortSignal.abort(), abort: () => undefined });
    expect((await rejection(already.read())).kind).toBe("aborted");
  });

  it("a body that errors is reset; a missing body is empty", async () => {
    const broken = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("socket hang up")) });
    expect((await rejection(boundBody(broken, { abort: () => undefined }).read())).kind).toBe("reset");
    expect(await readCapped(boundBody(null, { abort: () => undefined }), 10)).toBe("");
  });
});
