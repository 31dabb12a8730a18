import { isVMError } from "@vm/provider-kit";
import { afterEach, describe, expect, it } from "vitest";
import { createMorphClient } from "./api-client/base-client.js";
import { createMorphVMProvider } from "./provider.js";

/** What `create` threw: its code, and everything of it a caller could print. */
function thrown(create: () => unknown): { code: string; shown: string } {
  try {
    create();
  } catch (err) {
    const e = err as { message?: string; cause?: unknown; stack?: string };
    return { code: isVMError(err) ? err.code : `not a VMError: ${e.message ?? typeof err}`, shown: JSON.stringify({ message: e.message, cause: e.cause, stack: e.stack }) };
  }
  return { code: "ok", shown: "" };
}

const valid = { apiKey: "key", baseUrl: "http://127.0.0.1:3737/api" };
const savedEnv = { url: process.env.MORPH_BASE_URL, key: process.env.MORPH_API_KEY };

afterEach(() => {
  for (const [name, value] of [["MORPH_BASE_URL", savedEnv.url], ["MORPH_API_KEY", savedEnv.key]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("createMorphVMProvider checks its options when it is created", () => {
  const bad: Record<string, unknown>[] = [
    { baseUrl: "not a url" },
    { baseUrl: "" },
    { baseUrl: "/api" },
    { baseUrl: "ftp://127.0.0.1/api" },
    { baseUrl: "file:///etc/passwd" },
    { baseUrl: "http://127.0.0.1:3737/api?x=1" },
    { baseUrl: "http://127.0.0.1:3737/api#frag" },
    { baseUrl: "http://127.0.0.1:3737/api?" },
    { baseUrl: 3737 },
    { apiKey: 42 },
    { apiKey: "two words" },
    { apiKey: "line\nbreak" },
    { timeoutMs: "1000" },
    { timeoutMs: 0 },
    { timeoutMs: 1.5 },
    { timeoutMs: Number.NaN },
    { timeoutMs: 2 ** 31 },
    { timeoutMs: false },
    { retry: 3 },
    { retry: { attempts: 0 } },
    { retry: { attempts: "3" } },
    { retry: { baseDelayMs: -1 } },
    { retry: { maxDelayMs: Number.POSITIVE_INFINITY } },
    { logger: console.log },
    { logger: { debug: () => undefined } },
    { maxResponseBytes: 0 },
    { maxResponseBytes: 2 ** 30 },
    { maxResponseBytes: "1MB" },
    { bootTimeoutMs: -1 },
    { snapshotTimeoutMs: "600" },
    { execTimeoutMs: true },
    { execTimeoutMs: 0 },
    { execTimeoutMs: 2 ** 31 },
    { maxEventBytes: 10 },
    { maxArgBytes: "120k" },
    { maxRequestBytes: -1 },
    { logger: {} },
    { baseUrll: "http://127.0.0.1:3737/api" },
  ];
  for (const options of bad) {
    it(`${JSON.stringify(options)}: INVALID_ARGUMENT`, () => {
      expect(thrown(() => createMorphVMProvider({ ...valid, ...options })).code).toBe("INVALID_ARGUMENT");
    });
  }

  it("options that are not an object: INVALID_ARGUMENT", () => {
    for (const options of [null, 42, "http://127.0.0.1", [], true]) {
      expect(thrown(() => createMorphVMProvider(options as never)).code, String(options)).toBe("INVALID_ARGUMENT");
      expect(thrown(() => createMorphClient(options as never)).code, String(options)).toBe("INVALID_ARGUMENT");
    }
  });

  it("refuses credentials in baseUrl and never shows them", () => {
    for (const baseUrl of ["http://user:hunter2-pw@127.0.0.1:3737/api", "https://hunter2-pw@cloud.example/api", "http://:hunter2-pw@127.0.0.1/api"]) {
      const r = thrown(() => createMorphVMProvider({ ...valid, baseUrl }));
      expect(r.code, baseUrl).toBe("INVALID_ARGUMENT");
      expect(r.shown).toContain("credentials");
      expect(r.shown).not.toContain("hunter2");
    }
  });

  it("never shows the API key or a URL that does not parse", () => {
    const key = r("bad key\nsk-live-5ecret");
    expect(key.code).toBe("INVALID_ARGUMENT");
    expect(key.shown).not.toContain("5ecret");
    const url = thrown(() => createMorphVMProvider({ ...valid, baseUrl: "http://u:5ecret@[::1" }));
    expect(url.code).toBe("INVALID_ARGUMENT");
    expect(url.shown).not.toContain("5ecret");
    function r(apiKey: string) {
      return thrown(() => createMorphVMProvider({ ...valid, apiKey }));
    }
  });

  it("checks MORPH_BASE_URL and MORPH_API_KEY as it checks the options", () => {
    process.env.MORPH_BASE_URL = "not a url";
    expect(thrown(() => createMorphVMProvider({ apiKey: "key" })).code).toBe("INVALID_ARGUMENT");
    process.env.MORPH_BASE_URL = "http://u:hunter2-pw@127.0.0.1/api";
    const r = thrown(() => createMorphClient({ apiKey: "key" }));
    expect(r.code).toBe("INVALID_ARGUMENT");
    expect(r.shown).not.toContain("hunter2");
    process.env.MORPH_BASE_URL = "http://127.0.0.1:3737/api";
    process.env.MORPH_API_KEY = "key with\r\nheader";
    expect(thrown(() => createMorphVMProvider({})).code).toBe("INVALID_ARGUMENT");
  });

  it("accepts valid options and trims the base URL's trailing slashes", () => {
    expect(thrown(() => createMorphVMProvider({ ...valid, timeoutMs: 1, execTimeoutMs: false, retry: { attempts: 1, baseDelayMs: 0 }, maxResponseBytes: 1024, maxEventBytes: 1024 })).code).toBe("ok");
    expect(createMorphClient({ ...valid, baseUrl: "https://cloud.morph.so/api//" }).baseUrl).toBe("https://cloud.morph.so/api");
    // A missing key is still reported at the first call (UNAUTHENTICATED), not here.
    expect(thrown(() => createMorphClient({ baseUrl: valid.baseUrl, apiKey: "" })).code).toBe("ok");
  });
});
