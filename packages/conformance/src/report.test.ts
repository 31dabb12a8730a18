import { describe, expect, it } from "vitest";
import { VM_ASSUMPTIONS } from "./assumptions.js";
import { parseMatrix, renderJUnit, renderMatrixMarkdown, replaceBetweenMarkers, summarize } from "./report.js";
import type { ConformanceMatrix } from "./report.js";

const matrix: ConformanceMatrix = {
  cases: {
    "exec.stdin": { level: "MUST", title: "stdin is delivered" },
    "instances.fork": { level: "MUST", title: "fork works" },
    "exec.missing-command": { level: "SHOULD", title: "missing | command" },
  },
  providers: {
    docker: { runAt: "2026-01-01T00:00:00Z", results: { "exec.stdin": { state: "pass" }, "instances.fork": { state: "fail", detail: "expected 2 <got> 1" }, "exec.missing-command": { state: "pass" } } },
    morph: { runAt: "2026-01-02T00:00:00Z", results: { "exec.stdin": { state: "skip", detail: "provider lacks stdin" }, "instances.fork": { state: "pass" } } },
  },
};

describe("report rendering", () => {
  it("renders every provider and case, with skip reasons and failures", () => {
    const md = renderMatrixMarkdown(matrix);
    expect(md).toContain("| `exec.stdin` — stdin is delivered | MUST | ✅ pass | ⏭️ skip: provider lacks stdin |");
    expect(md).toContain("| `instances.fork` — fork works | MUST | ❌ fail | ✅ pass |");
    expect(md).toContain("missing \\| command");
    expect(md).toContain("- **docker** `instances.fork` (MUST): expected 2 &lt;got> 1");
    expect(md).toContain("| docker | 1 | 1 | 0 | 1 | 0 | 0 | 2026-01-01T00:00:00Z |");
  });

  it("names no script of ours and lists every assumption about the VM", () => {
    const md = renderMatrixMarkdown(matrix);
    expect(md).not.toMatch(/pnpm|test:integration/);
    for (const a of VM_ASSUMPTIONS) expect(md).toContain(`- **${a.id}**: `);
  });

  it("round-trips its embedded data so a later run can merge providers", () => {
    expect(parseMatrix(renderMatrixMarkdown(matrix))).toEqual(matrix);
    expect(parseMatrix("# hand written\n")).toEqual({ cases: {}, providers: {} });
  });

  it("counts per level and state", () => {
    expect(summarize(matrix, "morph")).toEqual({ MUST_pass: 1, MUST_fail: 0, MUST_skip: 1, SHOULD_pass: 0, SHOULD_fail: 0, SHOULD_skip: 0 });
  });

  it("writes JUnit with skipped and failure elements, XML-escaped", () => {
    const xml = renderJUnit(matrix, ["docker", "morph"]);
    expect(xml).toContain('<testsuite name="docker" tests="3" failures="1" skipped="0"');
    expect(xml).toContain('<failure message="expected 2 &lt;got&gt; 1">');
    expect(xml).toContain('<skipped message="provider lacks stdin"/>');
  });

  it("replaces only the marked block of a README", () => {
    const doc = "intro\n<!-- conformance-matrix:start -->\nold\n<!-- conformance-matrix:end -->\noutro\n";
    expect(replaceBetweenMarkers(doc, "new")).toBe("intro\n<!-- conformance-matrix:start -->\nnew\n<!-- conformance-matrix:end -->\noutro\n");
    expect(replaceBetweenMarkers("no markers", "new")).toBeUndefined();
  });
});
