import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_MS, codeForStatus, describeDetail, fromMorphResponse } from "./errors.js";

const ctx = { provider: "morph", operation: "instances.get" };

describe("fromMorphResponse", () => {
  it.each([
    [401, "UNAUTHENTICATED"],
    [403, "PERMISSION_DENIED"],
    [404, "NOT_FOUND"],
    [409, "CONFLICT"],
    [422, "INVALID_ARGUMENT"],
    [429, "RATE_LIMITED"],
    [500, "UNAVAILABLE"],
    [502, "UNAVAILABLE"],
    [503, "UNAVAILABLE"],
    [504, "UNAVAILABLE"],
  ] as const)("maps %i to %s", (status, code) => {
    expect(codeForStatus(status)).toBe(code);
    const err = fromMorphResponse({ status, body: { detail: "x" } }, ctx);
    expect(err.code).toBe(code);
    expect(err.provider).toBe("morph");
    expect(err.operation).toBe("instances.get");
  });

  it("carries a 429's Retry-After (seconds or HTTP-date) as retryAfterMs", () => {
    expect(fromMorphResponse({ status: 429, body: { detail: "slow down" }, retryAfter: "3" }, ctx)).toMatchObject({ code: "RATE_LIMITED", retryAfterMs: 3_000 });
    expect(fromMorphResponse({ status: 429, body: {}, retryAfter: "0.25" }, ctx).retryAfterMs).toBe(250);
    const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
    const dated = fromMorphResponse({ status: 429, body: {}, retryAfter: inFiveSeconds }, ctx).retryAfterMs;
    expect(dated).toBeGreaterThan(0);
    expect(dated).toBeLessThanOrEqual(5_000);
  });

  it("caps retryAfterMs at MAX_RETRY_AFTER_MS (a hostile server's Retry-After of a year or a far date)", () => {
    for (const retryAfter of ["31536000", "99999999999999999999", new Date(Date.now() + 365 * 86_400_000).toUTCString()]) {
      expect(fromMorphResponse({ status: 429, body: {}, retryAfter }, ctx).retryAfterMs).toBe(MAX_RETRY_AFTER_MS);
    }
    expect(fromMorphResponse({ status: 429, body: {}, retryAfter: "59" }, ctx).retryAfterMs).toBe(59_000);
  });

  it("leaves retryAfterMs out without a usable Retry-After, and on other statuses", () => {
    for (const retryAfter of [undefined, null, "", "soon"]) {
      const err = fromMorphResponse({ status: 429, body: {}, retryAfter }, ctx);
      expect(err.code).toBe("RATE_LIMITED");
      expect("retryAfterMs" in err).toBe(false);
    }
    expect("retryAfterMs" in fromMorphResponse({ status: 503, body: {}, retryAfter: "3" }, ctx)).toBe(false);
  });

  it("puts the spec's HTTPValidationError detail in a 422 message", () => {
    const err = fromMorphResponse(
      { status: 422, body: { detail: [{ loc: ["body", "command"], msg: "Field required", type: "missing" }] } },
      ctx,
    );
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toContain("body.command: Field required");
  });

  it("redacts the key if a server echoes it, in the message and in the cause", () => {
    const secret = "sk-very-secret-123";
    const err = fromMorphResponse({ status: 401, body: { detail: `bad key ${secret}` } }, ctx, secret);
    expect(err.message).not.toContain(secret);
    expect(err.toString()).not.toContain(secret);
    expect(JSON.stringify(err.cause)).not.toContain(secret);
    expect(err.message).toContain("[redacted]");
  });

  it("redacts every secret (env entries, stdin chunks) a server echoes in a validation error's input, keys included", () => {
    const env = 'TOKEN=s3cr"et\\value';
    const stdin = "c2VjcmV0IHN0ZGlu";
    const body = { detail: [{ loc: ["body", "command"], msg: `bad ${env}`, type: "value_error", input: { command: ["bash", "-c", "...", env, stdin, "cat"], [stdin]: 1 } }] };
    const err = fromMorphResponse({ status: 422, body }, ctx, ["key-1", env, stdin]);
    const shown = `${err.message}\n${JSON.stringify(err.cause)}`;
    expect(shown).not.toContain(env);
    expect(shown).not.toContain(stdin);
    expect(err.message).toBe("Morph API answered 422: body.command: bad [redacted]");
    expect((err.cause as { body: typeof body }).body.detail[0]?.input.command).toEqual(["bash", "-c", "...", "[redacted]", "[redacted]", "cat"]);
  });

  it("reads plain-string and missing details", () => {
    expect(describeDetail({ detail: "Instance not found" })).toBe("Instance not found");
    expect(describeDetail(undefined)).toBeUndefined();
    expect(describeDetail("oops")).toBe("oops");
    expect(fromMorphResponse({ status: 404 }, ctx).message).toBe("Morph API answered 404");
  });
});
