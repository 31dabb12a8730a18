import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, expectTypeOf, it } from "vitest";
import { VM_ERROR_CODES, VMError, hasVMErrorCode, isVMError } from "./errors.js";
import type * as ErrorsModule from "./errors.js";
import type { VMErrorCode, VMErrorShape } from "@vm/core";

describe("VMError", () => {
  it("carries code, provider, operation and cause; is an Error", () => {
    const cause = new Error("socket hang up");
    const err = new VMError("UNAVAILABLE", "engine did not answer", { provider: "docker", operation: "instances.boot", cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(VMError);
    expect(err.name).toBe("VMError");
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.provider).toBe("docker");
    expect(err.operation).toBe("instances.boot");
    expect(err.cause).toBe(cause);
    expect(err.message).toBe("engine did not answer");
    expect(String(err)).toBe("VMError [UNAVAILABLE] docker.instances.boot: engine did not answer");
    expect(err.stack).toContain("VMError");
  });

  it("leaves optional fields out when not given", () => {
    const err = new VMError("NOT_FOUND", "gone");
    expect(err.provider).toBeUndefined();
    expect(err.operation).toBeUndefined();
    expect(err.cause).toBeUndefined();
    expect(err.retryAfterMs).toBeUndefined();
    expect("retryAfterMs" in err).toBe(false);
    expect(String(err)).toBe("VMError [NOT_FOUND]: gone");
  });

  it("carries a backend's Retry-After on RATE_LIMITED", () => {
    const err = new VMError("RATE_LIMITED", "slow down", { provider: "morph", operation: "instances.boot", retryAfterMs: 2_000 });
    expect(err.retryAfterMs).toBe(2_000);
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ code: "RATE_LIMITED", retryAfterMs: 2_000 });
  });

  it("lists the thirteen codes of the @vm/core union", () => {
    expect([...VM_ERROR_CODES].sort()).toEqual(
      ["ABORTED", "ALREADY_EXISTS", "CONFLICT", "INTERNAL", "INVALID_ARGUMENT", "NOT_FOUND", "PERMISSION_DENIED", "RATE_LIMITED", "RESOURCE_EXHAUSTED", "TIMEOUT", "UNAUTHENTICATED", "UNAVAILABLE", "UNSUPPORTED"],
    );
  });
});

describe("isVMError", () => {
  it("accepts VMErrors and rejects everything else", () => {
    expect(isVMError(new VMError("INTERNAL", "x"))).toBe(true);
    for (const value of [null, undefined, 0, "VMError", new Error("x"), {}, [], () => undefined, Object.assign(new Error("x"), { code: "ENOENT" })]) {
      expect(isVMError(value)).toBe(false);
    }
  });

  it("accepts an error from a duplicate install (a second copy of this module)", async () => {
    const dir = await mkdtemp(join(import.meta.dirname, ".dup-install-"));
    try {
      await copyFile(join(import.meta.dirname, "errors.ts"), join(dir, "errors.ts"));
      const copy = (await import(pathToFileURL(join(dir, "errors.ts")).href)) as typeof ErrorsModule;
      expect(copy.VMError).not.toBe(VMError);
      const foreign = new copy.VMError("NOT_FOUND", "from the other copy", { provider: "morph" });
      expect(foreign instanceof VMError).toBe(false);
      expect(isVMError(foreign)).toBe(true);
      expect(hasVMErrorCode(foreign, "NOT_FOUND")).toBe(true);
      expect(copy.isVMError(new VMError("TIMEOUT", "from this copy"))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("accepts plain objects with the brand or the shape (serialised / foreign errors)", () => {
    const branded = { [Symbol.for("@vm/provider-kit/VMError")]: true, name: "VMError", code: "CONFLICT", message: "busy" };
    expect(isVMError(branded)).toBe(true);
    expect(isVMError({ name: "VMError", code: "NOT_FOUND", message: "gone" })).toBe(true);
    expect(isVMError(JSON.parse(JSON.stringify({ name: "VMError", code: "TIMEOUT", message: "slow" })))).toBe(true);
    expect(isVMError({ name: "VMError", code: "NOPE", message: "x" })).toBe(false);
    expect(isVMError({ name: "Error", code: "NOT_FOUND", message: "x" })).toBe(false);
    expect(isVMError({ name: "VMError", code: "NOT_FOUND" })).toBe(false);
    expect(isVMError({ name: "VMError", code: 404, message: "x" })).toBe(false);
  });
});

describe("hasVMErrorCode", () => {
  it("matches any of the given codes", () => {
    const err = new VMError("RATE_LIMITED", "slow down");
    expect(hasVMErrorCode(err, "RATE_LIMITED")).toBe(true);
    expect(hasVMErrorCode(err, "UNAVAILABLE", "RATE_LIMITED")).toBe(true);
    expect(hasVMErrorCode(err, "NOT_FOUND")).toBe(false);
    expect(hasVMErrorCode(new Error("x"), "INTERNAL")).toBe(false);
    expect(hasVMErrorCode(err)).toBe(false);
  });

  it("takes the codes as one array too", () => {
    const err = new VMError("RATE_LIMITED", "slow down");
    expect(hasVMErrorCode(err, ["UNAVAILABLE", "RATE_LIMITED"])).toBe(true);
    expect(hasVMErrorCode(err, ["NOT_FOUND"])).toBe(false);
    expect(hasVMErrorCode(err, [])).toBe(false);
    expect(hasVMErrorCode("RATE_LIMITED", ["RATE_LIMITED"])).toBe(false);
  });

  // Checked by `tsc` (pnpm typecheck): these lines do not compile if the guard stops narrowing.
  it("narrows code to the given codes", () => {
    const caught: unknown = new VMError("NOT_FOUND", "gone");
    if (hasVMErrorCode(caught, "NOT_FOUND")) {
      expectTypeOf(caught).toEqualTypeOf<VMErrorShape & { readonly code: "NOT_FOUND" }>();
      expectTypeOf(caught.code).toEqualTypeOf<"NOT_FOUND">();
      expectTypeOf(caught.retryAfterMs).toEqualTypeOf<number | undefined>();
    }
    if (hasVMErrorCode(caught, "RATE_LIMITED", "UNAVAILABLE")) expectTypeOf(caught.code).toEqualTypeOf<"RATE_LIMITED" | "UNAVAILABLE">();
    if (hasVMErrorCode(caught, ["TIMEOUT", "ABORTED"])) expectTypeOf(caught.code).toEqualTypeOf<"TIMEOUT" | "ABORTED">();
    const codes: readonly VMErrorCode[] = ["CONFLICT"];
    if (hasVMErrorCode(caught, codes)) expectTypeOf(caught.code).toEqualTypeOf<VMErrorCode>();
    // @ts-expect-error not a VMErrorCode
    hasVMErrorCode(caught, "ENOENT");
    expect(hasVMErrorCode(caught, "NOT_FOUND")).toBe(true);
  });
});
