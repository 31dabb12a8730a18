import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { isVMError } from "./errors.js";
import {
  MAX_ARGUMENT_BYTES,
  MAX_COMMAND_BYTES,
  MAX_ID_LENGTH,
  MAX_NAME_BYTES,
  MAX_PATH_BYTES,
  assertAbsolutePath,
  assertArgv,
  assertCommandSize,
  assertEnv,
  assertFileContent,
  assertId,
  assertInteger,
  assertMetadata,
  assertMode,
  assertPrincipal,
  commandBytes,
} from "./validate.js";
import { assertAtomicWriteOptions, assertFileOperationOptions } from "./validate-options.js";

const ctx = { provider: "test", operation: "files.test" };

function rejects(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (isVMError(err)) {
      expect(err).toMatchObject({ code: "INVALID_ARGUMENT", provider: "test", operation: "files.test" });
      return err.message;
    }
    throw err;
  }
  throw new Error("expected INVALID_ARGUMENT");
}

describe("assertAbsolutePath", () => {
  it("accepts any absolute NUL-free path, hostile characters included", () => {
    for (const path of ["/", "/a", "/a b/c", "/$(x)/`y`", "/-rf", "/new\nline", "/ünï 🙂", "/a/../b", `/${"a".repeat(255)}`, `/${"a".repeat(249)}`.repeat(16)]) {
      expect(() => assertAbsolutePath(path, ctx)).not.toThrow();
    }
  });
  it("rejects relative, empty, NUL, non-string and over-long paths", () => {
    for (const path of ["", "a", "./a", "~/a", " /a", "/a\0b", 1, null, undefined, {}, ["/a"], `/${"a".repeat(249)}`.repeat(16) + "/" + "b".repeat(95), `/${"a".repeat(256)}`]) rejects(() => assertAbsolutePath(path, ctx));
    expect(rejects(() => assertAbsolutePath("rel", ctx, "source"))).toMatch(/^source must be absolute/);
  });
});

describe("limits: at the limit accepted, one past it INVALID_ARGUMENT naming the limit", () => {
  const message = (work: () => void) => {
    try {
      work();
    } catch (err) {
      expect(err).toMatchObject({ name: "VMError", code: "INVALID_ARGUMENT" });
      return (err as Error).message;
    }
    throw new Error("expected a rejection");
  };
  // A path of exactly `bytes` bytes made of names of at most `name` bytes.
  const pathOf = (bytes: number, name = 255) => {
    let path = "";
    while (bytes - path.length > name + 1) path += `/${"d".repeat(name)}`;
    return `${path}/${"f".repeat(bytes - path.length - 1)}`;
  };

  it("path: 4095 bytes, names of 255 bytes (multi-byte characters counted in bytes)", () => {
    expect(MAX_PATH_BYTES).toBe(4095);
    expect(MAX_NAME_BYTES).toBe(255);
    expect(Buffer.byteLength(pathOf(4095))).toBe(4095);
    expect(() => assertAbsolutePath(pathOf(4095), ctx)).not.toThrow();
    expect(message(() => assertAbsolutePath(pathOf(4096), ctx))).toBe("path is 4096 bytes; the limit is 4095 bytes (Linux PATH_MAX)");
    expect(() => assertAbsolutePath(`/tmp/${"é".repeat(127)}a`, ctx)).not.toThrow();
    expect(message(() => assertAbsolutePath(`/tmp/${"é".repeat(128)}`, ctx))).toContain("has a name of 256 bytes");
    expect(message(() => assertAbsolutePath(`/${"n".repeat(256)}/x`, ctx, "cwd"))).toMatch(/^cwd has a name of 256 bytes .*the limit is 255 bytes per name \(Linux NAME_MAX\)$/);
  });

  it("argv: one argument of 131071 bytes; argv and env together 2031616 bytes as commandBytes counts", () => {
    expect(MAX_ARGUMENT_BYTES).toBe(131071);
    expect(() => assertArgv(["printf", "x".repeat(131071)], ctx)).not.toThrow();
    expect(message(() => assertArgv(["printf", "x".repeat(131072)], ctx))).toBe(
      "argv[1] is 131072 bytes; one argument may be at most 131071 bytes (Linux MAX_ARG_STRLEN)",
    );
    expect(commandBytes(["echo", "hi"], { A: "1" })).toBe(36);
    expect(MAX_COMMAND_BYTES).toBe(2031616);
    // 16 arguments of 126,967 bytes plus "true": exactly the limit, then one byte more.
    const argv = ["true", ...Array.from({ length: 15 }, () => "a".repeat(126_967))];
    const rest = MAX_COMMAND_BYTES - commandBytes(argv) - 9;
    const atLimit = [...argv, "b".repeat(rest)];
    expect(commandBytes(atLimit)).toBe(MAX_COMMAND_BYTES);
    expect(() => assertCommandSize(atLimit, undefined, ctx)).not.toThrow();
    expect(message(() => assertCommandSize([...argv, "b".repeat(rest + 1)], undefined, ctx))).toMatch(/^argv and env take 2031617 bytes .*the limit is 2031616 bytes \(Linux ARG_MAX/);
    // Env entries count as NAME=value.
    expect(message(() => assertCommandSize(argv, { B: "b".repeat(rest - 1) }, ctx))).toContain("take 2031617 bytes");
    expect(() => assertCommandSize(argv, { B: "b".repeat(rest - 2) }, ctx)).not.toThrow();
  });

  it("env: one NAME=value of 131071 bytes, and the message never holds the value", () => {
    expect(() => assertEnv({ TOKEN: "s".repeat(131071 - 6) }, ctx)).not.toThrow();
    const text = message(() => assertEnv({ TOKEN: "s".repeat(131071 - 5) }, ctx));
    expect(text).toBe("env entry TOKEN=... is 131072 bytes; one entry may be at most 131071 bytes (Linux MAX_ARG_STRLEN)");
  });

  it("id: 256 characters", () => {
    expect(MAX_ID_LENGTH).toBe(256);
    expect(() => assertId("i".repeat(256), ctx)).not.toThrow();
    expect(message(() => assertId("i".repeat(257), ctx, "instanceId"))).toBe("instanceId is 257 characters; the limit is 256");
  });
});

describe("assertMode", () => {
  it("accepts 3 or 4 octal digits", () => {
    for (const mode of ["600", "644", "755", "0755", "4755", "000", "7777"]) expect(() => assertMode(mode, ctx)).not.toThrow();
  });
  it("rejects anything else", () => {
    for (const mode of ["", "6", "60", "77777", "800", "abc", "u+x", "-R", "600 ", " 600", "600\n", "$(id)", 600, null]) rejects(() => assertMode(mode, ctx));
  });
});

describe("assertPrincipal", () => {
  it("accepts user/group names and numeric ids", () => {
    for (const name of ["root", "www-data", "_apt", "user.name", "a1", "0", "65534", "machine$", "a".repeat(32)]) {
      expect(() => assertPrincipal(name, ctx)).not.toThrow();
    }
  });
  it("rejects names that are not names", () => {
    for (const name of ["", "-R", "1abc", "a b", "a:b", "a;b", "$(id)", "`id`", "../x", "ünï", "a\n", "a".repeat(33), "12345678901", 0, null]) {
      rejects(() => assertPrincipal(name, ctx, "owner"));
    }
    expect(rejects(() => assertPrincipal("a b", ctx, "group"))).toMatch(/^group must be/);
  });
});

describe("assertFileContent", () => {
  it("accepts strings, Uint8Arrays, Buffers and Uint8Arrays from another realm", () => {
    const foreign: unknown = runInNewContext("new Uint8Array([1, 2, 3])");
    expect(foreign instanceof Uint8Array).toBe(false);
    for (const content of ["", "text", new Uint8Array(0), Buffer.from("x"), foreign]) expect(() => assertFileContent(content, ctx)).not.toThrow();
  });
  it("rejects everything else without echoing it", () => {
    for (const content of [1, null, undefined, {}, [1], new Uint16Array(1), new ArrayBuffer(1), new DataView(new ArrayBuffer(1))]) {
      rejects(() => assertFileContent(content, ctx));
    }
    expect(rejects(() => assertFileContent({ secret: "hunter2" }, ctx))).not.toContain("hunter2");
  });
});

describe("assertAtomicWriteOptions", () => {
  it("accepts undefined and valid options", () => {
    expect(() => assertAtomicWriteOptions(undefined, ctx)).not.toThrow();
    expect(() => assertAtomicWriteOptions({}, ctx)).not.toThrow();
    expect(() => assertAtomicWriteOptions({ mode: "600", createDirs: true, owner: "root", group: "0" }, ctx)).not.toThrow();
  });
  it("rejects bad options", () => {
    for (const options of [null, "600", [], { mode: "999" }, { owner: "a b" }, { group: "$(x)" }, { createDirs: "yes" }, { mode: 600 }]) {
      rejects(() => assertAtomicWriteOptions(options, ctx));
    }
  });
});

describe("assertFileOperationOptions", () => {
  it("accepts undefined, a signal and a timeoutMs from 1 to 2147483647", () => {
    for (const options of [undefined, {}, { timeoutMs: 1 }, { timeoutMs: 2_147_483_647 }, { signal: new AbortController().signal }]) {
      expect(() => assertFileOperationOptions(options, ctx)).not.toThrow();
    }
  });
  it("rejects bad options with INVALID_ARGUMENT and an aborted signal with ABORTED", () => {
    for (const options of [null, 5, "x", [], { timeoutMs: 0 }, { timeoutMs: 1.5 }, { timeoutMs: 2 ** 31 }, { timeoutMs: "5" }, { signal: {} }]) {
      rejects(() => assertFileOperationOptions(options, ctx));
    }
    let code: string | undefined;
    try {
      assertFileOperationOptions({ signal: AbortSignal.abort() }, ctx);
    } catch (err) {
      code = isVMError(err) ? err.code : "not a VMError";
    }
    expect(code).toBe("ABORTED");
    // writeFileAtomic's options carry them too.
    rejects(() => assertAtomicWriteOptions({ mode: "600", timeoutMs: -1 }, ctx));
  });
  it("reads options as plain data: a throwing getter, an unknown key (a typo) or a class instance is INVALID_ARGUMENT, never a raw error", () => {
    const throwing = {
      get timeoutMs(): number {
        throw new Error("getter ran");
      },
    };
    for (const options of [throwing, { timeout: 5_000 }, { timeoutMs: 5_000, recursive: true }, new Date(), new Map()]) {
      rejects(() => assertFileOperationOptions(options, ctx));
    }
    for (const options of [throwing, { mode: "600", mdoe: "600" }]) rejects(() => assertAtomicWriteOptions(options, ctx));
    // A method's own keys are named by the caller.
    expect(() => assertFileOperationOptions({ recursive: true, timeoutMs: 5_000 }, ctx, ["recursive"])).not.toThrow();
  });
});

describe("assertArgv, assertEnv, assertMetadata, assertId, assertInteger", () => {
  it("assertArgv", () => {
    expect(() => assertArgv(["ls", "-la", "$(x)"], ctx)).not.toThrow();
    for (const argv of [[], "ls", ["ls", 1], ["a\0b"], null]) rejects(() => assertArgv(argv, ctx));
  });
  it("assertEnv never echoes values", () => {
    expect(() => assertEnv({ A: "1", _b: "$(x)" }, ctx)).not.toThrow();
    for (const env of [null, [], { "A-B": "1" }, { "1A": "x" }, { A: 1 }, { A: "a\0" }]) rejects(() => assertEnv(env, ctx));
    expect(rejects(() => assertEnv({ TOKEN: "secret\0value" }, ctx))).not.toContain("secret");
  });
  it("assertMetadata", () => {
    expect(() => assertMetadata({ app: "demo", "a b": "c d" }, ctx)).not.toThrow();
    for (const m of [null, [], { "": "x" }, { a: 1 }, { a: "\0" }]) rejects(() => assertMetadata(m, ctx));
  });
  it("assertPrincipal: numeric ids up to 2^31 - 1, never one that wraps around to another user", () => {
    for (const ok of ["0", "65534", "2147483647", "nobody", "www-data"]) expect(() => assertPrincipal(ok, ctx)).not.toThrow();
    for (const bad of ["2147483648", "4294967295", "4294967296", "9999999999"]) expect(rejects(() => assertPrincipal(bad, ctx))).toContain("2147483647");
  });
  it("assertId", () => {
    expect(() => assertId("abc-123", ctx)).not.toThrow();
    for (const id of ["", "a\0", 1, null, "x".repeat(257)]) rejects(() => assertId(id, ctx));
  });
  it("assertInteger", () => {
    expect(() => assertInteger(3, ctx, "count", 1, 5)).not.toThrow();
    for (const n of [0, 6, 1.5, NaN, "3", null]) rejects(() => assertInteger(n, ctx, "count", 1, 5));
  });
});
