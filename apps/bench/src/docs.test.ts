import { describe, expect, it } from "vitest";
import { REPORT_END, REPORT_START, spliceReport } from "./docs.js";

describe("spliceReport", () => {
  it("replaces only what is between the markers and demotes headings", () => {
    const page = `# Benchmarks\nintro\n${REPORT_START}\nold report\n${REPORT_END}\n## Findings\nkept\n`;
    const next = spliceReport(page, "# Report\n\n## Machine\ntext\n")!;
    expect(next).toContain("## Report\n\n### Machine\ntext");
    expect(next).not.toContain("old report");
    expect(next.startsWith("# Benchmarks\nintro\n")).toBe(true);
    expect(next.endsWith(`${REPORT_END}\n## Findings\nkept\n`)).toBe(true);
    expect(spliceReport(next, "# Again\n")).toContain("## Again");
  });
  it("refuses a page without markers", () => {
    expect(spliceReport("# nothing here", "# R")).toBeUndefined();
  });
});
