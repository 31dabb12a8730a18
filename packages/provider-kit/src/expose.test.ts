import { describe, expect, it } from "vitest";
import { isVMError } from "./errors.js";
import { assertServiceName, readExposeCall } from "./expose.js";
import { readBootOptions, readExecCall } from "./validate-options.js";

const ctx = { provider: "test", operation: "instances.expose" };

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (err) {
    return isVMError(err) ? err.code : `not a VMError: ${String(err)}`;
  }
}

describe("readExposeCall", () => {
  it("fills in the defaults", () => {
    expect(readExposeCall("vm", 3000, undefined, ctx)).toEqual({ port: 3000, name: "port-3000", auth: "none" });
    expect(readExposeCall("vm", 1, { name: "a", auth: "api_key" }, ctx)).toEqual({ port: 1, name: "a", auth: "api_key" });
    expect(readExposeCall("vm", 65_535, { name: `a${"-".repeat(38)}z` }, ctx).name).toHaveLength(40);
  });

  it("refuses ports, names and auth modes outside the rule (null included) as INVALID_ARGUMENT", () => {
    for (const port of [0, 65_536, -1, 1.5, Number.NaN, "80", null, undefined]) expect(codeOf(() => readExposeCall("vm", port, undefined, ctx))).toBe("INVALID_ARGUMENT");
    for (const name of ["", "Web", "-a", "a-", "a".repeat(41), "a b", "../x", "a/b", "é", null, 5, {}]) expect(codeOf(() => readExposeCall("vm", 80, { name }, ctx))).toBe("INVALID_ARGUMENT");
    for (const auth of ["basic", "", null, 1, "API_KEY"]) expect(codeOf(() => readExposeCall("vm", 80, { auth }, ctx))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => readExposeCall("vm", 80, { nmae: "x" }, ctx))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => assertServiceName(undefined, ctx))).toBe("INVALID_ARGUMENT");
  });
});

describe("the checks capabilities decide", () => {
  it("ttl_action pause is UNSUPPORTED unless the provider says ttlPause", () => {
    expect(codeOf(() => readBootOptions({ ttl_seconds: 5, ttl_action: "pause" }, ctx))).toBe("UNSUPPORTED");
    expect(readBootOptions({ ttl_seconds: 5, ttl_action: "pause" }, ctx, { ttlPause: true }).ttl_action).toBe("pause");
    expect(codeOf(() => readBootOptions({ ttl_seconds: 5, ttl_action: "freeze" }, ctx, { ttlPause: true }))).toBe("INVALID_ARGUMENT");
  });

  it("an AsyncIterable stdin is UNSUPPORTED unless the provider says stdinStream", () => {
    const stdin = (async function* () {
      yield "x";
    })();
    expect(codeOf(() => readExecCall("vm", ["cat"], { stdin }, ctx))).toBe("UNSUPPORTED");
    expect(readExecCall("vm", ["cat"], { stdin }, ctx, { stdinStream: true }).options?.stdin).toBe(stdin);
    // A sync iterable (an array of strings) is not a stream and not bytes.
    expect(codeOf(() => readExecCall("vm", ["cat"], { stdin: ["x"] }, ctx, { stdinStream: true }))).toBe("INVALID_ARGUMENT");
  });
});
