import { afterEach, describe, expect, it, vi } from "vitest";
import { VMError } from "../errors.js";
import { fileCallBound } from "./bounds.js";

const ctx = { provider: "test", operation: "files.moveFile" };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("fileCallBound", () => {
  it("a step stopped by the deadline's signal is TIMEOUT even while the clock still reads before the deadline", async () => {
    const bound = fileCallBound({ timeoutMs: 1 }, ctx, "/a");
    const signal = bound.signal();
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    // The timer fired; the clock lags (a loaded event loop): only the signal says the deadline passed.
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now - 60_000);
    const translated = bound.translate(new VMError("ABORTED", "the command was aborted before it started", ctx));
    expect(translated).toMatchObject({ code: "TIMEOUT" });
    expect(bound.stopped()).toBe(true);
  });

  it("the caller's abort stays ABORTED, and a failure of a step that was not stopped passes through", async () => {
    const controller = new AbortController();
    const bound = fileCallBound({ signal: controller.signal, timeoutMs: 60_000 }, ctx, "/a");
    const own = new VMError("TIMEOUT", "the provider's own HTTP timeout", ctx);
    expect(bound.translate(own)).toBe(own);
    expect(bound.stopped()).toBe(false);
    controller.abort();
    await Promise.resolve();
    expect(bound.translate(new VMError("ABORTED", "aborted", ctx))).toMatchObject({ code: "ABORTED" });
  });
});
