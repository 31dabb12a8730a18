import { describe, expect, it } from "vitest";
import { codeForHttpStatus } from "./http-status.js";

describe("codeForHttpStatus", () => {
  it.each([
    [400, "INVALID_ARGUMENT"],
    [422, "INVALID_ARGUMENT"],
    [401, "UNAUTHENTICATED"],
    [403, "PERMISSION_DENIED"],
    [404, "NOT_FOUND"],
    [408, "TIMEOUT"],
    [409, "CONFLICT"],
    [429, "RATE_LIMITED"],
    [500, "UNAVAILABLE"],
    [502, "UNAVAILABLE"],
    [599, "UNAVAILABLE"],
    [418, "INTERNAL"],
    [304, "INTERNAL"],
    [600, "INTERNAL"],
    [Number.NaN, "INTERNAL"],
  ])("%s -> %s", (status, code) => {
    expect(codeForHttpStatus(status)).toBe(code);
  });
});
