import type { StepResult } from "./deploy-app.js";

/**
 * Formats milliseconds the way the progress lines and summary show them: `850ms`, `2.4s`, `1m05s`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "@vm/demo";
 * console.log(formatDuration(2400)); // "2.4s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

/**
 * Formats a byte count: `512 B`, `41.3 MB`.
 *
 * @example
 * ```ts
 * import { formatBytes } from "@vm/demo";
 * console.log(formatBytes(43_300_000)); // "41.3 MB"
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Renders rows as a plain-text table: columns padded to their widest cell, a rule under
 * the header, right-aligned columns where `align` says `"right"`.
 *
 * @example
 * ```ts
 * import { renderTable } from "@vm/demo";
 * console.log(renderTable(["step", "time"], [["boot", "1.2s"]], ["left", "right"]).join("\n"));
 * ```
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly ("left" | "right")[] = []): string[] {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    widths
      .map((width, column) => {
        const cell = cells[column] ?? "";
        return align[column] === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

/**
 * The final summary: one row per step with its result and time, then the total.
 *
 * @example
 * ```ts
 * import { renderSummary } from "@vm/demo";
 * console.log(renderSummary([], 0).join("\n"));
 * ```
 */
export function renderSummary(steps: readonly StepResult[], totalMs: number): string[] {
  const rows = steps.map((s) => {
    const held = s.checks.filter((c) => c.ok).length;
    return [String(s.step), s.title, s.status, `${held}/${s.checks.length}`, s.status === "skipped" ? "-" : formatDuration(s.durationMs)];
  });
  const lines = renderTable(["#", "step", "result", "checks", "time"], rows, ["right", "left", "left", "right", "right"]);
  const width = lines[1]?.length ?? 0;
  const total = `total ${formatDuration(totalMs)}`;
  return [...lines, "-".repeat(width), total.padStart(width)];
}
