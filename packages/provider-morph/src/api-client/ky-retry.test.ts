import { describe, expect, it } from "vitest";
import { kyRetryOptions } from "./ky-retry.js";
import { resolveRetryPolicy } from "./retry.js";

const policy = resolveRetryPolicy({ attempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 });

describe("kyRetryOptions", () => {
  it("lets ky re-send an idempotent call attempts - 1 times on 429/502/503/504, honouring Retry-After on each, capped", () => {
    const { retry, throwHttpErrors } = kyRetryOptions(policy, { idempotent: true, attemptsDone: 0 });
    expect(retry).toMatchObject({ limit: 3, statusCodes: [429, 502, 503, 504], afterStatusCodes: [429, 502, 503, 504], maxRetryAfter: 2_000, backoffLimit: 2_000, retryOnTimeout: false });
    expect(retry.methods).toEqual(expect.arrayContaining(["get", "post", "delete"]));
    expect([1, 2, 3].map((n) => retry.delay!(n))).toEqual([100, 200, 400]);
    expect(typeof throwHttpErrors === "function" && [429, 502, 503, 504, 500, 404].map(throwHttpErrors)).toEqual([true, true, true, true, false, false]);
  });

  it("goes on from the attempts an outer re-send already used: budget and backoff", () => {
    const { retry } = kyRetryOptions(policy, { idempotent: true, attemptsDone: 2 });
    expect(retry.limit).toBe(1);
    expect(retry.delay!(1)).toBe(400);
    expect(kyRetryOptions(policy, { idempotent: true, attemptsDone: 4 }).retry.limit).toBe(0);
  });

  it("never re-sends a call that is not idempotent, and then returns every status as an answer", () => {
    expect(kyRetryOptions(policy, { idempotent: false, attemptsDone: 0 })).toEqual({ retry: { limit: 0 }, throwHttpErrors: false });
  });
});
