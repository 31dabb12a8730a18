import { describe, expect, it } from "vitest";
import { parseRetryAfter, resolveRetryPolicy, retryDecision } from "./retry.js";

const policy = resolveRetryPolicy({ attempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 });

describe("retryDecision", () => {
  it("retries idempotent requests on 429/502/503/504 with exponential backoff", () => {
    for (const status of [429, 502, 503, 504]) {
      expect(retryDecision({ attempt: 1, idempotent: true, status }, policy)).toEqual({ retry: true, delayMs: 100 });
    }
    expect(retryDecision({ attempt: 3, idempotent: true, status: 503 }, policy)).toEqual({ retry: true, delayMs: 400 });
  });

  it("never retries a non-idempotent request", () => {
    expect(retryDecision({ attempt: 1, idempotent: false, status: 503 }, policy)).toEqual({ retry: false });
    expect(retryDecision({ attempt: 1, idempotent: false, networkError: true }, policy)).toEqual({ retry: false });
  });

  it("does not retry other statuses", () => {
    for (const status of [400, 401, 403, 404, 409, 422, 500]) {
      expect(retryDecision({ attempt: 1, idempotent: true, status }, policy)).toEqual({ retry: false });
    }
  });

  it("retries network resets and stops when attempts run out", () => {
    expect(retryDecision({ attempt: 1, idempotent: true, networkError: true }, policy).retry).toBe(true);
    expect(retryDecision({ attempt: 4, idempotent: true, networkError: true }, policy)).toEqual({ retry: false });
  });

  it("honours Retry-After, capped by maxDelayMs", () => {
    expect(retryDecision({ attempt: 1, idempotent: true, status: 429, retryAfter: "1" }, policy)).toEqual({ retry: true, delayMs: 1000 });
    expect(retryDecision({ attempt: 1, idempotent: true, status: 429, retryAfter: "60" }, policy)).toEqual({ retry: true, delayMs: 2000 });
  });

  it("takes an already parsed hint (retryAfterMs) over the header, capped the same way", () => {
    expect(retryDecision({ attempt: 1, idempotent: true, networkError: true, retryAfterMs: 700 }, policy)).toEqual({ retry: true, delayMs: 700 });
    expect(retryDecision({ attempt: 1, idempotent: true, networkError: true, retryAfterMs: 700, retryAfter: "1" }, policy)).toEqual({ retry: true, delayMs: 700 });
    expect(retryDecision({ attempt: 1, idempotent: true, networkError: true, retryAfterMs: 60_000 }, policy)).toEqual({ retry: true, delayMs: 2000 });
  });

  it("parses Retry-After seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("0.5")).toBe(500);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
