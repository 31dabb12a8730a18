import { describe, expect, it } from "vitest";
import { escapeXml, renderChart } from "./svg.js";

describe("renderChart", () => {
  it("draws one bar per row, whiskers, references and failures, as a well-formed document", () => {
    const svg = renderChart("T <1>", [
      {
        title: "Latency",
        unit: "ms",
        scale: "log",
        bars: [
          { label: "exec", heading: true, value: Number.NaN, color: "" },
          { label: "ours", value: 12, whisker: 20, color: "#27a" },
          { label: "raw", value: 10, color: "#999" },
          { label: "seed", value: Number.NaN, color: "#999", text: "fails: argv limit" },
        ],
      },
      { title: "Ratio", unit: "x", scale: "linear", bars: [{ label: "ours", value: 1.2, color: "#a72" }], refs: [{ value: 1, label: "1.0", color: "#000" }] },
    ]);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<rect /g)?.length).toBe(1 + 3);
    expect(svg).toContain("T &lt;1&gt;");
    expect(svg).toContain("fails: argv limit");
    expect(svg).toContain("stroke-dasharray");
    expect(svg).not.toContain("NaN");
  });
  it("escapes XML", () => {
    expect(escapeXml(`a&b"<>`)).toBe("a&amp;b&quot;&lt;&gt;");
  });
});
