import { describe, expect, it } from "vitest";
import { assertLogger } from "./provider-options.js";

const ctx = { provider: "test", operation: "create" };

describe("assertLogger", () => {
  it("accepts undefined, console and a full logger; refuses anything else", () => {
    const noop = () => undefined;
    expect(() => assertLogger(undefined, ctx)).not.toThrow();
    expect(() => assertLogger(console, ctx)).not.toThrow();
    expect(() => assertLogger({ debug: noop, info: noop, warn: noop, error: noop }, ctx)).not.toThrow();
    for (const bad of [{}, 5, null, "log", { debug: noop, info: noop, warn: noop }, console.log]) {
      expect(() => assertLogger(bad, ctx)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
  });
});
