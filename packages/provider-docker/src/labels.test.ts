import { describe, expect, it } from "vitest";
import { DOCKER_LABELS, buildLabels, labelFilters, matchesMetadata, readLabel, readMetadata } from "./labels.js";

describe("buildLabels", () => {
  it("records the resources in force as JSON (dev.vm.resources), and blanks an inherited one it does not set", () => {
    const resources = { vcpus: 2, memoryMb: 512, diskMb: 8192 };
    expect(buildLabels({ kind: "snapshot", resources })[DOCKER_LABELS.resources]).toBe('{"vcpus":2,"memoryMb":512,"diskMb":8192}');
    expect(buildLabels({ kind: "snapshot" }, { [DOCKER_LABELS.resources]: '{"vcpus":1}' })[DOCKER_LABELS.resources]).toBe("");
  });

  it("labels an instance with kind, metadata (JSON and one label per key), TTL and extras", () => {
    const labels = buildLabels({
      kind: "instance",
      metadata: { app: "demo", "with=equals": "x" },
      ttl: { seconds: 30, action: "terminate", deadline: "2030-01-01T00:00:00.000Z" },
      bootDeadline: "2029-12-31T23:59:00.000Z",
      snapshot: "sha256:abc",
      extra: { "com.example.run": "42" },
    });
    expect(labels).toEqual({
      "com.example.run": "42",
      "dev.vm.managed": "true",
      "dev.vm.kind": "instance",
      "dev.vm.metadata": JSON.stringify({ app: "demo", "with=equals": "x" }),
      "dev.vm.meta.app": "demo",
      "dev.vm.meta.with=equals": "x",
      "dev.vm.ttl.seconds": "30",
      "dev.vm.ttl.action": "terminate",
      "dev.vm.ttl.deadline": "2030-01-01T00:00:00.000Z",
      "dev.vm.boot.deadline": "2029-12-31T23:59:00.000Z",
      "dev.vm.snapshot": "sha256:abc",
    });
  });

  it("blanks every inherited dev.vm.* label it does not set, and keeps foreign labels untouched", () => {
    const inherited = {
      "dev.vm.kind": "instance",
      "dev.vm.meta.secret": "s3cr3t",
      "dev.vm.ttl.seconds": "60",
      "dev.vm.digest": "old",
      "dev.vm.boot.deadline": "2029-12-31T23:59:00.000Z",
      "org.opencontainers.image.title": "base",
    };
    const labels = buildLabels({ kind: "snapshot", digest: "new", metadata: { stage: "a" } }, inherited);
    expect(labels["dev.vm.meta.secret"]).toBe("");
    expect(labels["dev.vm.ttl.seconds"]).toBe("");
    expect(labels["dev.vm.digest"]).toBe("new");
    expect(labels["dev.vm.boot.deadline"]).toBe("");
    expect(labels["dev.vm.kind"]).toBe("snapshot");
    expect(readMetadata(labels)).toEqual({ stage: "a" });
    expect("org.opencontainers.image.title" in labels).toBe(false);
  });
});

describe("readMetadata / readLabel", () => {
  it("reads the JSON label and tolerates junk", () => {
    expect(readMetadata({ [DOCKER_LABELS.metadata]: '{"a":"1","b":2}' })).toEqual({ a: "1" });
    expect(readMetadata({ [DOCKER_LABELS.metadata]: "not json" })).toEqual({});
    expect(readMetadata({ [DOCKER_LABELS.metadata]: "[1]" })).toEqual({});
    expect(readMetadata(undefined)).toEqual({});
    expect(readLabel({ a: "" }, "a")).toBeUndefined();
    expect(readLabel({ a: "x" }, "a")).toBe("x");
  });

  it("keeps metadata keys that are Object.prototype names ('__proto__' was lost: assigning it set the prototype)", () => {
    const metadata = JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}') as Record<string, string>;
    const back = readMetadata(buildLabels({ kind: "instance", metadata }));
    expect(Object.keys(back).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(matchesMetadata(back, metadata)).toBe(true);
  });
});

describe("labelFilters / matchesMetadata", () => {
  it("builds engine label filters, skipping keys a filter cannot express", () => {
    expect(labelFilters("snapshot", { app: "demo", "k=v": "x" }, { "com.example.run": "1" })).toEqual([
      "dev.vm.managed=true",
      "dev.vm.kind=snapshot",
      "dev.vm.meta.app=demo",
      "com.example.run=1",
    ]);
  });
  it("matches only when every wanted key/value is present", () => {
    expect(matchesMetadata({ a: "1", b: "2" }, { a: "1" })).toBe(true);
    expect(matchesMetadata({ a: "1" }, { a: "2" })).toBe(false);
    expect(matchesMetadata({}, { toString: "x" })).toBe(false);
    expect(matchesMetadata({ a: "" }, { a: "" })).toBe(true);
    expect(matchesMetadata({ a: "1" }, undefined)).toBe(true);
  });
});
