import { commandBytes } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { EXEC_WRAPPER, execWrapperArgv } from "../scripts.js";
import { ARG_MAX_BYTES, assertFitsInstanceEnv } from "./validate.js";

describe("assertFitsInstanceEnv", () => {
  const ctx = { provider: "docker", operation: "instances.exec" };
  const limit = ARG_MAX_BYTES - 4096;
  // An image ENV of 256 KiB in 4 entries (each under MAX_ARG_STRLEN).
  const imageEnv = ["A", "B", "C", "D"].map((n) => `${n}=${"x".repeat(64 * 1024)}`);
  const wrapperBytes = commandBytes(["sh", "-c", EXEC_WRAPPER, "vm-exec", "", "", "", `VM_EXEC_ID=${"0".repeat(36)}`]);
  /** An argv of one `printf` and 100 KiB pieces plus one piece, taking exactly `bytes` (≥ 20). */
  const argvOf = (bytes: number) => {
    const pieces = Array.from({ length: Math.floor((bytes - 16) / (100 * 1024 + 9)) }, () => "p".repeat(100 * 1024));
    const rest = bytes - commandBytes(["printf", ...pieces]) - 9;
    return ["printf", ...pieces, "r".repeat(rest)];
  };

  it("accepts a command that fits with the image's environment exactly, and rejects one byte more", () => {
    const room = limit - wrapperBytes - commandBytes(imageEnv);
    const argv = argvOf(room);
    expect(commandBytes(argv)).toBe(room);
    expect(() => assertFitsInstanceEnv(execWrapperArgv(argv, {}), undefined, imageEnv, ctx)).not.toThrow();
    const over = [...argv.slice(0, -1), `${argv.at(-1)}r`];
    expect(() => assertFitsInstanceEnv(execWrapperArgv(over, {}), undefined, imageEnv, ctx)).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        message: `argv and env take ${limit + 1} bytes with the provider's wrapper and the instance's own environment (its image's ENV: ${commandBytes(imageEnv)} bytes); the limit is ${limit} bytes (Linux ARG_MAX, 2 MiB, less 4096 bytes for what the engine adds)`,
      }) as Error,
    );
  });

  it("counts a name the call's env overrides once, with the call's value", () => {
    const room = limit - wrapperBytes - commandBytes(imageEnv);
    const argv = argvOf(room - 100);
    // Replacing A's 64 KiB value by a short one frees room; a new name of the same size does not.
    expect(() => assertFitsInstanceEnv(execWrapperArgv(argv, {}), { A: "y".repeat(64 * 1024 + 90) }, imageEnv, ctx)).not.toThrow();
    expect(() => assertFitsInstanceEnv(execWrapperArgv(argv, {}), { E: "y".repeat(90) }, imageEnv, ctx)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }) as Error);
  });

  it("never names an env value in its message", () => {
    const secret = "s3cr3t-value";
    let message = "";
    try {
      assertFitsInstanceEnv(execWrapperArgv(argvOf(limit), {}), { TOKEN: secret }, [`IMAGE_TOKEN=${secret}`], ctx);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^argv and env take/);
    expect(message).not.toContain(secret);
  });
});
