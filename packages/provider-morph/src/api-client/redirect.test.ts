import { describe, expect, it } from "vitest";
import { isRedirect, locationOrigin } from "./redirect.js";

describe("locationOrigin", () => {
  const from = "http://127.0.0.1:3737/api/instance/morphvm_1/exec";
  it("keeps the origin only: never the path, query or credentials", () => {
    expect(locationOrigin("https://evil.example:8443/steal?token=secret#x", from)).toBe("https://evil.example:8443");
    expect(locationOrigin("http://user:pass@evil.example/p", from)).toBe("http://evil.example");
  });
  it("resolves a relative Location against the request", () => {
    expect(locationOrigin("/other/path?token=secret", from)).toBe("http://127.0.0.1:3737");
  });
  it("names a missing, unparsable or non-http Location without echoing it", () => {
    expect(locationOrigin(null, from)).toBe("no Location");
    expect(locationOrigin("  ", from)).toBe("no Location");
    expect(locationOrigin("http://[bad", from)).toBe("an unparsable Location");
    expect(locationOrigin("javascript:alert(1)", from)).toBe('a "javascript:" Location');
  });
});

describe("isRedirect", () => {
  it("is every 3xx and nothing else", () => {
    for (const status of [300, 301, 302, 303, 304, 307, 308]) expect(isRedirect(new Response(null, { status }))).toBe(true);
    for (const status of [200, 204, 400, 404, 500]) expect(isRedirect(new Response(null, { status }))).toBe(false);
  });
});
