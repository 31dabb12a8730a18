import { describe, expect, it } from "vitest";
import { parseCliArgs } from "./args.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe("parseCliArgs", () => {
  it("defaults to Docker, human output, a 600 s TTL", () => {
    expect(parseCliArgs([])).toEqual({ provider: "docker", json: false, help: false, ttlSeconds: 600 });
  });

  it("reads every flag", () => {
    expect(parseCliArgs(["--provider", "morph", "--json", "--base-url", "http://127.0.0.1:9000", "--image", "img-1", "--ttl", "120", "--pause-after", "5"])).toEqual({
      provider: "morph",
      json: true,
      help: false,
      ttlSeconds: 120,
      baseUrl: "http://127.0.0.1:9000",
      image: "img-1",
      pauseAfter: "start-app",
    });
    expect(parseCliArgs(["--provider=docker", "--pause-after=fork"]).pauseAfter).toBe("fork");
    expect(parseCliArgs(["-h"]).help).toBe(true);
  });

  it("drops the literal -- that `pnpm start -- --json` may pass through", () => {
    expect(parseCliArgs(["--", "--json"]).json).toBe(true);
  });

  it.each([
    [["--provider", "aws"]],
    [["--nope"]],
    [["positional"]],
    [["--ttl", "5"]],
    [["--ttl", "1e3"]],
    [["--provider", "morph", "--base-url", "ftp://x"]],
    [["--provider", "morph", "--base-url", "not a url"]],
    [["--base-url", "http://127.0.0.1:1"]],
    [["--pause-after", "11"]],
    [["--pause-after", "cleanup"]],
    [["--pause-after", "10"]],
    [["--image", " "]],
  ])("rejects %j with INVALID_ARGUMENT", (argv) => {
    expect(codeOf(() => parseCliArgs(argv))).toBe("INVALID_ARGUMENT");
  });
});
