/** One bar of a panel. */
export interface Bar {
  label: string;
  value: number;
  /** Optional whisker end (e.g. p95) drawn past the bar. */
  whisker?: number;
  color: string;
  /** Text printed after the bar; defaults to the value. */
  text?: string;
  /** A row that only labels a group (no bar). */
  heading?: boolean;
}

/** One chart panel: horizontal bars on a linear or log axis. */
export interface Panel {
  title: string;
  unit: string;
  scale: "linear" | "log";
  bars: Bar[];
  /** Vertical reference lines, e.g. ratio 1.0 or a target. */
  refs?: { value: number; label: string; color: string }[];
}

const WIDTH = 980;
const LABEL_W = 330;
const TEXT_W = 150;
const ROW = 18;
const PLOT_W = WIDTH - LABEL_W - TEXT_W - 20;

/** XML-escape text for SVG. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0];
  const step0 = max / 5;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step * 0.001; t += step) ticks.push(Number(t.toPrecision(6)));
  return ticks;
}

function fmt(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function renderPanel(panel: Panel, top: number): { svg: string; height: number } {
  const values = panel.bars.filter((b) => !b.heading && Number.isFinite(b.value)).flatMap((b) => [b.value, b.whisker ?? b.value]);
  for (const r of panel.refs ?? []) values.push(r.value);
  const positive = values.filter((v) => v > 0);
  const parts: string[] = [];
  let x: (v: number) => number;
  let ticks: number[];
  if (panel.scale === "log") {
    const lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, 1)));
    const span = Math.log10(hi) - Math.log10(lo) || 1;
    x = (v) => LABEL_W + (Math.max(0, Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * PLOT_W;
    ticks = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  } else {
    const max = Math.max(...values, 0) * 1.05 || 1;
    ticks = niceTicks(max);
    const hi = ticks[ticks.length - 1] ?? max;
    x = (v) => LABEL_W + (Math.max(0, v) / hi) * PLOT_W;
  }
  const titleY = top + 18;
  parts.push(`<text x="10" y="${titleY}" class="title">${escapeXml(panel.title)}</text>`);
  const plotTop = titleY + 14;
  const plotH = panel.bars.length * ROW;
  for (const t of ticks) {
    const tx = x(t).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${plotTop}" x2="${tx}" y2="${plotTop + plotH}" class="grid"/>`);
    parts.push(`<text x="${tx}" y="${plotTop + plotH + 13}" class="tick" text-anchor="middle">${escapeXml(fmt(t))}</text>`);
  }
  parts.push(`<text x="${LABEL_W + PLOT_W}" y="${plotTop + plotH + 27}" class="tick" text-anchor="end">${escapeXml(panel.unit)}${panel.scale === "log" ? " (log scale)" : ""}</text>`);
  panel.bars.forEach((bar, i) => {
    const y = plotTop + i * ROW;
    if (bar.heading) {
      parts.push(`<text x="10" y="${y + 13}" class="heading">${escapeXml(bar.label)}</text>`);
      return;
    }
    parts.push(`<text x="${LABEL_W - 6}" y="${y + 13}" class="label" text-anchor="end">${escapeXml(bar.label)}</text>`);
    if (!Number.isFinite(bar.value)) {
      parts.push(`<text x="${LABEL_W + 4}" y="${y + 13}" class="fail">${escapeXml(bar.text ?? "n/a")}</text>`);
      return;
    }
    const w = Math.max(1, x(bar.value) - LABEL_W);
    parts.push(`<rect x="${LABEL_W}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}" fill="${bar.color}"/>`);
    let end = LABEL_W + w;
    if (bar.whisker !== undefined && Number.isFinite(bar.whisker) && bar.whisker > bar.value) {
      const wx = x(bar.whisker);
      parts.push(`<line x1="${end.toFixed(1)}" y1="${y + ROW / 2}" x2="${wx.toFixed(1)}" y2="${y + ROW / 2}" class="whisker"/>`);
      parts.push(`<line x1="${wx.toFixed(1)}" y1="${y + 5}" x2="${wx.toFixed(1)}" y2="${y + ROW - 5}" class="whisker"/>`);
      end = wx;
    }
    parts.push(`<text x="${(end + 4).toFixed(1)}" y="${y + 13}" class="value">${escapeXml(bar.text ?? fmt(bar.value))}</text>`);
  });
  (panel.refs ?? []).forEach((ref, i) => {
    const rx = x(ref.value).toFixed(1);
    // Labels of neighbouring references go left and right of their line so they never overlap.
    const anchor = i % 2 === 0 ? "end" : "start";
    const dx = i % 2 === 0 ? -3 : 3;
    parts.push(`<line x1="${rx}" y1="${plotTop - 4}" x2="${rx}" y2="${plotTop + plotH}" stroke="${ref.color}" stroke-dasharray="4 3" stroke-width="1.5"/>`);
    parts.push(`<text x="${(Number(rx) + dx).toFixed(1)}" y="${plotTop - 4}" class="tick" text-anchor="${anchor}" fill="${ref.color}">${escapeXml(ref.label)}</text>`);
  });
  return { svg: parts.join("\n"), height: plotTop - top + plotH + 40 };
}

/**
 * Render panels stacked vertically as one standalone SVG document (no external fonts or scripts).
 *
 * @example
 * ```ts
 * const svg = renderChart("Bench", [{ title: "Ratios", unit: "x", scale: "linear", bars: [{ label: "exec", value: 1.05, color: "#2a7" }] }]);
 * ```
 */
export function renderChart(title: string, panels: Panel[], subtitle = ""): string {
  let y = 44;
  const bodies: string[] = [];
  for (const panel of panels) {
    const { svg, height } = renderPanel(panel, y);
    bodies.push(svg);
    y += height + 10;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="Helvetica, Arial, sans-serif">`,
    "<style>.title{font-size:14px;font-weight:bold}.heading{font-size:12px;font-weight:bold;fill:#333}.label{font-size:11px;fill:#333}.value{font-size:11px;fill:#111}.tick{font-size:10px;fill:#666}.grid{stroke:#e3e3e3}.whisker{stroke:#444;stroke-width:1}.fail{font-size:11px;fill:#b00}.sub{font-size:11px;fill:#555}</style>",
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="17" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="10" y="36" class="sub">${escapeXml(subtitle)}</text>`,
    ...bodies,
    "</svg>",
    "",
  ].join("\n");
}
