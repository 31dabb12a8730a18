import { describe, expect, it } from "vitest";
import { isVMError } from "./errors.js";
import {
  assertSignal,
  readArgv,
  readBootOptions,
  readCreateSnapshotOptions,
  readExecCall,
  readExecOptions,
  readInstanceFilters,
  readMetadata,
  readOptionsObject,
  readSnapshotFilters,
} from "./validate-options.js";

const ctx = { provider: "test", operation: "instances.test" };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isVMError(err)) return err.code;
    return `not a VMError: ${String(err)}`;
  }
  return "accepted";
}

function getter(key: string): object {
  return Object.defineProperty({}, key, { enumerable: true, get: () => { throw new Error("getter ran"); } });
}

const NOT_OBJECTS: unknown[] = [null, 0, NaN, "x", true, 1n, Symbol("s"), () => ({}), [], ["x"], new Date(0), new Map(), new String("x"), Promise.resolve({})];

describe("readOptionsObject", () => {
  it("accepts undefined, plain and null-prototype objects, and copies only defined data fields", () => {
    expect(readOptionsObject(undefined, ctx, "options", ["a"])).toBeUndefined();
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(readOptionsObject(bare, ctx, "options", ["a"])).toEqual({ a: 1 });
    const copy = readOptionsObject({ a: 1, b: undefined }, ctx, "options", ["a", "b"]);
    expect(copy).toEqual({ a: 1 });
  });
  it.each(NOT_OBJECTS.map((v) => [v]))("rejects %s", (value) => {
    expect(code(() => readOptionsObject(value, ctx, "options", ["a"]))).toBe("INVALID_ARGUMENT");
  });
  it("rejects unknown keys (own __proto__ and constructor included), symbol keys, getters and throwing proxies", () => {
    for (const value of [
      { x: 1 },
      { constructor: 5 },
      JSON.parse('{"__proto__": {"a": 1}}') as unknown,
      { [Symbol("k")]: 1 },
      getter("a"),
      new Proxy({}, { ownKeys: () => { throw new Error("trap"); } }),
    ]) {
      expect(code(() => readOptionsObject(value, ctx, "options", ["a"]))).toBe("INVALID_ARGUMENT");
    }
  });
});

describe("assertSignal", () => {
  it("accepts undefined and a live signal; an aborted one is ABORTED; anything else INVALID_ARGUMENT", () => {
    expect(code(() => assertSignal(undefined, ctx))).toBe("accepted");
    expect(code(() => assertSignal(new AbortController().signal, ctx))).toBe("accepted");
    expect(code(() => assertSignal(AbortSignal.abort(), ctx))).toBe("ABORTED");
    for (const value of [null, {}, { aborted: true }, new EventTarget(), new AbortController(), "x", 1]) expect(code(() => assertSignal(value, ctx))).toBe("INVALID_ARGUMENT");
  });
});

describe("readArgv", () => {
  it("refuses holes of sparse arrays and throwing elements; returns a copy", () => {
    const argv = ["a", "b"];
    const copy = readArgv(argv, ctx);
    expect(copy).toEqual(argv);
    expect(copy).not.toBe(argv);
    expect(code(() => readArgv(new Array<string>(2), ctx))).toBe("INVALID_ARGUMENT");
    const holey = ["true"];
    holey.length = 2;
    expect(code(() => readArgv(holey, ctx))).toBe("INVALID_ARGUMENT");
    const throwing = Object.defineProperty(["x"], 0, { get: () => { throw new Error("getter ran"); } });
    expect(code(() => readArgv(throwing, ctx))).toBe("INVALID_ARGUMENT");
  });
});

describe("option readers", () => {
  it("readExecCall / readExecOptions: wrong-typed fields are INVALID_ARGUMENT, valid ones copied", () => {
    expect(readExecCall("vm", ["ls"], { cwd: "/", env: { A: "1" }, timeoutMs: 5 }, ctx)).toEqual({ argv: ["ls"], options: { cwd: "/", env: { A: "1" }, timeoutMs: 5 } });
    for (const options of [{ cwd: 5 }, { env: "x" }, { env: { A: 5 } }, { stdin: 5 }, { stdin: [1] }, { timeoutMs: NaN }, { timeoutMs: 2 ** 53 }, { signal: {} }, { user: 0 }, { timeout: 5 }, getter("cwd")]) {
      expect(code(() => readExecOptions(options, ctx))).toBe("INVALID_ARGUMENT");
    }
    expect(code(() => readExecOptions({ signal: AbortSignal.abort() }, ctx))).toBe("ABORTED");
  });
  it("readExecOptions: env may not set VM_EXEC_ID, the kill protocol's tag (it could aim a kill at another command)", () => {
    expect(code(() => readExecOptions({ env: { VM_EXEC_ID: "0b7c" } }, ctx))).toBe("INVALID_ARGUMENT");
    expect(code(() => readExecOptions({ env: { A: "1", VM_EXEC_ID: "" } }, ctx))).toBe("INVALID_ARGUMENT");
    expect(code(() => readExecOptions({ env: { VM_EXEC_IDX: "1", vm_exec_id: "1" } }, ctx))).toBe("accepted");
  });
  it("readExecCall: a bad id or argv is INVALID_ARGUMENT, an aborted signal ABORTED", () => {
    for (const [id, argv, options] of [
      ["", ["ls"], undefined],
      ["abc", [], undefined],
      ["abc", "ls", undefined],
      ["abc", ["ls"], { cwd: "tmp" }],
      ["abc", ["ls"], { env: { "1A": "x" } }],
      ["abc", ["ls"], { user: "a:b" }],
      ["abc", ["ls"], { timeoutMs: 0 }],
    ] as const) {
      expect(code(() => readExecCall(id, argv, options, ctx))).toBe("INVALID_ARGUMENT");
    }
    expect(code(() => readExecCall("abc", ["ls"], { signal: AbortSignal.abort() }, ctx))).toBe("ABORTED");
  });
  it("readExecCall checkSize: argv and env past MAX_COMMAND_BYTES are INVALID_ARGUMENT only when asked", () => {
    const big = "x".repeat(100_000);
    const argv = Array.from({ length: 21 }, () => big);
    expect(readExecCall("abc", argv, undefined, ctx).argv).toHaveLength(21);
    expect(code(() => readExecCall("abc", argv, undefined, ctx, { checkSize: true }))).toBe("INVALID_ARGUMENT");
    const env = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`E${i}`, big]));
    expect(code(() => readExecCall("abc", ["ls"], { env }, ctx, { checkSize: true }))).toBe("INVALID_ARGUMENT");
    expect(readExecCall("abc", ["ls"], { env: { A: "1" } }, ctx, { checkSize: true }).options).toEqual({ env: { A: "1" } });
  });
  it("readBootOptions: null and wrong fields are INVALID_ARGUMENT; ttl_action needs ttl_seconds", () => {
    expect(readBootOptions(undefined, ctx)).toEqual({});
    for (const options of [null, "x", { ttl_seconds: 1.5 }, { ttl_action: "stop" }, { ttl_seconds: 5, ttl_action: 1 }, { metadata: { a: 1 } }, { metadata: new Date() }, { signal: {} }, { timeoutMs: -1 }]) {
      expect(code(() => readBootOptions(options, ctx))).toBe("INVALID_ARGUMENT");
    }
  });
  it("readInstanceFilters normalises status to an array and rejects non-status values", () => {
    expect(readInstanceFilters({ status: "ready" }, ctx)).toEqual({ status: ["ready"] });
    for (const filters of [null, 5, { status: 5 }, { status: [5] }, { status: ["ready", null] }, { status: new Array<string>(1) }, { status: "gone" }, { metadata: "x" }, { constructor: 5 }]) {
      expect(code(() => readInstanceFilters(filters, ctx))).toBe("INVALID_ARGUMENT");
    }
  });
  it("readSnapshotFilters / readCreateSnapshotOptions check digest and metadata", () => {
    expect(readSnapshotFilters({ digest: "d" }, ctx)).toEqual({ digest: "d" });
    for (const value of [null, { digest: 5 }, { digest: "" }, { digest: "a\0b" }, { metadata: [] }, { x: 1 }]) {
      expect(code(() => readSnapshotFilters(value, ctx))).toBe("INVALID_ARGUMENT");
      expect(code(() => readCreateSnapshotOptions(value, ctx))).toBe("INVALID_ARGUMENT");
    }
  });
  it("readMetadata keeps an own __proto__ key (it is a legal label) as an own key of the copy", () => {
    const copy = readMetadata(JSON.parse('{"__proto__": "p", "a": "b"}'), ctx);
    expect(Object.keys(copy).sort()).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });
});

describe("the base asserts (validate.ts) refuse what passed before", () => {
  it("assertArgv: a sparse array; assertMetadata/assertEnv: class instances and getters", async () => {
    const { assertArgv, assertEnv, assertMetadata } = await import("./validate.js");
    expect(code(() => assertArgv(new Array<string>(2), ctx))).toBe("INVALID_ARGUMENT");
    for (const value of [new Date(0), new Map(), new String("x"), getter("a")]) {
      expect(code(() => assertMetadata(value, ctx))).toBe("INVALID_ARGUMENT");
      expect(code(() => assertEnv(value, ctx))).toBe("INVALID_ARGUMENT");
    }
  });
});
