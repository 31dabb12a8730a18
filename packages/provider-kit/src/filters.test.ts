import { describe, expect, it } from "vitest";
import { matchesInstanceFilters, matchesMetadata, matchesSnapshotFilters } from "./filters.js";

describe("matchesMetadata", () => {
  it("matches own keys only: keys on Object.prototype never match through the prototype", () => {
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const wanted = JSON.parse(`{${JSON.stringify(key)}:"x"}`) as Record<string, string>;
      expect(matchesMetadata({}, wanted), key).toBe(false);
      expect(matchesMetadata({ app: "demo" }, wanted), key).toBe(false);
      expect(matchesMetadata(wanted, wanted), key).toBe(true);
    }
  });

  it("every wanted key/value must be present; no filter matches all", () => {
    expect(matchesMetadata({ a: "1", b: "2" }, { a: "1" })).toBe(true);
    expect(matchesMetadata({ a: "1" }, { a: "2" })).toBe(false);
    expect(matchesMetadata({ a: "" }, { a: "" })).toBe(true);
    expect(matchesMetadata(undefined, { a: "" })).toBe(false);
    expect(matchesMetadata({ a: "1" }, undefined)).toBe(true);
  });
});

describe("matchesInstanceFilters / matchesSnapshotFilters", () => {
  it("status as one value or a list, with metadata", () => {
    const vm = { status: "ready" as const, metadata: { app: "demo" } };
    expect(matchesInstanceFilters(vm, {})).toBe(true);
    expect(matchesInstanceFilters(vm, { status: "ready" })).toBe(true);
    expect(matchesInstanceFilters(vm, { status: ["stopped", "ready"] })).toBe(true);
    expect(matchesInstanceFilters(vm, { status: "stopped" })).toBe(false);
    expect(matchesInstanceFilters(vm, { status: "ready", metadata: { app: "other" } })).toBe(false);
  });

  it("digest and metadata", () => {
    expect(matchesSnapshotFilters({ digest: "d1", metadata: {} }, { digest: "d1" })).toBe(true);
    expect(matchesSnapshotFilters({ metadata: {} }, { digest: "d1" })).toBe(false);
    expect(matchesSnapshotFilters({ digest: "d1", metadata: { app: "demo" } }, { digest: "d1", metadata: { app: "x" } })).toBe(false);
  });
});
