import type { CaseResult, VariantResult } from "./harness.js";
import type { BenchResults } from "./results.js";
import type { Bar, Panel } from "./svg.js";
import { renderChart } from "./svg.js";

const OURS = "#2b6cb0";
const BASE = "#a0aec0";
const GOOD = "#2f855a";
const BAD = "#c05621";

const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "–" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const ratio = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "–" : `${v.toFixed(2)}x`);
const mibps = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "–" : v >= 10 ? v.toFixed(0) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));

function status(v: VariantResult): string {
  if (v.status === "ok") return "ok";
  const what = v.expectedFailure ? "fails" : "**FAILED**";
  return `${what}${v.status === "partial" ? " (after some runs)" : ""}: ${v.error?.replace(/\|/g, "\\|").replace(/\n/g, " ") ?? ""}`;
}

function calls(v: VariantResult): string {
  if (!v.calls) return "–";
  return `${v.calls.requests} / ${v.calls.apiCalls}`;
}

function caseTable(cases: CaseResult[]): string[] {
  const lines = [
    "| operation | variant | median ms | p95 ms | IQR ms | min–max ms | MiB/s | ratio (median) | ratio (p95) | paired ratio IQR | requests / API calls | status |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const c of cases) {
    for (const v of c.variants) {
      const s = v.stats;
      const paired = v.pairedRatio && v.pairedRatio.n > 0 ? `${v.pairedRatio.q1.toFixed(2)}–${v.pairedRatio.q3.toFixed(2)}` : "–";
      lines.push(
        `| ${c.title} | ${v.name} | ${ms(s.median)} | ${ms(s.p95)} | ${ms(s.iqr)} | ${ms(s.min)}–${ms(s.max)} | ${c.bytes === undefined ? "–" : mibps(v.throughputMiBps)} | ${ratio(v.ratio)} | ${ratio(v.ratioP95)} | ${paired} | ${calls(v)} | ${status(v)} |`,
      );
    }
  }
  return lines;
}

/**
 * The Markdown report: machine, targets, every figure, network calls, scale, how to read it.
 *
 * @example
 * ```ts
 * await writeFile("latest.md", renderMarkdown(results, "latest.svg"));
 * ```
 */
export function renderMarkdown(r: BenchResults, chartFile: string): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`# Benchmark report (${r.mode})`, "");
  out.push(`Run \`${r.runId}\`, ${r.startedAt} → ${r.finishedAt} (${r.durationS.toFixed(0)} s), made by \`${r.command}\`.`, "");
  out.push("## Machine", "");
  out.push("| | |", "|---|---|");
  out.push(`| CPU | ${m.cpus} × ${m.cpuModel} |`);
  out.push(`| memory | ${m.memoryGiB} GiB |`);
  out.push(`| OS / kernel | ${m.os} / ${m.kernel} |`);
  out.push(`| Node | ${m.node} |`);
  out.push(`| Docker engine | ${m.docker.server} (API ${m.docker.api}, ${m.docker.storageDriver}, cgroup ${m.docker.cgroup}) |`);
  out.push(`| base image | \`${r.image}\` |`);
  out.push(`| providers | docker: ${r.providers.docker ?? "not available"}; morph: ${r.providers.morph ?? "not available"} |`, "");
  out.push("## Targets (Docker provider)", "");
  out.push("| target | measured | status |", "|---|---|---|");
  for (const t of r.targets) out.push(`| ${t.target} | ${t.measured.replace(/\|/g, "\\|")} | ${t.status === "met" ? "✅ met" : t.status === "missed" ? "❌ missed" : "⚪ not measured"} |`);
  out.push("");
  if (r.unexpectedFailures.length > 0) {
    out.push("## Unexpected failures", "");
    for (const f of r.unexpectedFailures) out.push(`- ${f}`);
    out.push("");
  }
  out.push(`![latency, throughput and ratio chart](${chartFile})`, "");
  const groups: [string, string][] = [
    ["exec", "Exec latency (baseline: raw dockerode)"],
    ["files", "File transfer (baseline: `docker cp`; ratio = throughput ours / docker cp)"],
    ["boot", "Boot to first exec (baseline: raw dockerode)"],
    ["fork", "Fork"],
    ["reach", "Reach: exposed ports (baseline: the same node client inside the VM, self-timed) and pause/resume (baseline: raw dockerode)"],
    ["morph", "Morph provider through the emulator (baseline: raw fetch of the same endpoints)"],
  ];
  for (const [group, title] of groups) {
    const cases = r.cases.filter((c) => c.group === group);
    if (cases.length === 0) continue;
    out.push(`## ${title}`, "");
    out.push(...caseTable(cases), "");
    if (group === "files" && r.seedLimit) {
      const s = r.seedLimit;
      out.push(
        Number.isFinite(s.smallestFailingBytes)
          ? `The design document's approach (content as one base64 argument) writes at most **${(s.largestOkBytes / 1024).toFixed(0)} KiB** and fails from ${(s.smallestFailingBytes / 1024).toFixed(0)} KiB: \`${s.error.slice(0, 160)}\`. It is not run above 1 MiB.`
          : "The design document's approach did not fail up to 1 MiB on this engine.",
        "",
      );
    }
  }
  out.push("## Network calls per operation", "");
  out.push("Counted, not estimated: every HTTP request this process started (Docker API over `node:http`, Morph API over `fetch`), for the last run of each operation. *API calls* are the requests that do work in the machine (an exec session or an archive transfer on Docker, an exec on Morph); the rest are exec start/inspect, polls and lookups. The `docker` CLI runs in its own process, so its requests are not counted.", "");
  out.push("| operation | variant | HTTP requests | API calls | requests in order |", "|---|---|---:|---:|---|");
  for (const c of r.cases) {
    for (const v of c.variants) {
      if (!v.calls) continue;
      const routes = v.calls.routes.length > 12 ? `${v.calls.routes.slice(0, 12).join(", ")}, … (${v.calls.routes.length})` : v.calls.routes.join(", ");
      out.push(`| ${c.title} | ${v.name} | ${v.calls.requests} | ${v.calls.apiCalls} | ${routes.replace(/\|/g, "\\|")} |`);
    }
  }
  out.push("");
  if (r.scale) {
    const s = r.scale;
    out.push(`## Scale: ${s.execs} concurrent execs over ${s.instances} instances, ${s.rounds} round(s)`, "");
    out.push("| variant | execs/s (median) | execs/s (min–max) | exec latency median / p95 / max ms | errors | client RSS peak MiB | client heap growth MiB |", "|---|---:|---:|---:|---:|---:|---:|");
    for (const v of s.variants) {
      out.push(
        `| ${v.name} | ${v.throughput.median.toFixed(0)} | ${v.throughput.min.toFixed(0)}–${v.throughput.max.toFixed(0)} | ${ms(v.latency.median)} / ${ms(v.latency.p95)} / ${ms(v.latency.max)} | ${v.errors}${v.errorSamples.length ? ` (${v.errorSamples.join("; ").replace(/\|/g, "\\|")})` : ""} | ${v.memory.rssPeakMiB.toFixed(0)} | ${v.memory.heapGrowthPeakMiB.toFixed(1)} |`,
      );
    }
    out.push("");
  }
  if (r.notes.length > 0) {
    out.push("## Notes", "");
    for (const n of r.notes) out.push(`- ${n}`);
    out.push("");
  }
  out.push("## How to read this", "");
  out.push(
    "- Every operation runs **interleaved** with its baselines in the same run (A B C, B C A, …), after untimed warm-up rounds, so drift in the machine hits all sides alike.",
    "- **median** is the headline; **p95** the slow tail; **IQR** (q3 − q1) and **min–max** the spread. With few repetitions (large files, fork) p95 is close to the maximum.",
    "- **ratio**: for latency, ours ÷ baseline time (below 1 is faster than the baseline); for file transfer, ours ÷ `docker cp` throughput (above 1 is faster). *paired ratio IQR* is the spread of the per-round ratios: ours and its baseline timed back to back.",
    "- Each run's answer is checked outside the timing (exit code and exact stdout; a SHA-256 of the file in the container or of the bytes read), so a fast wrong answer fails instead of winning.",
    "- *fails* marks a finding (the design document's approach past the argument-size limit); **FAILED** marks a broken operation.",
    "",
  );
  return `${out.join("\n")}\n`;
}

function latencyBars(cases: CaseResult[]): Bar[] {
  const bars: Bar[] = [];
  for (const c of cases) {
    bars.push({ label: c.title, heading: true, value: Number.NaN, color: "" });
    for (const v of c.variants) {
      bars.push({
        label: v.name,
        value: v.stats.n > 0 ? v.stats.median : Number.NaN,
        whisker: v.stats.p95,
        color: v.kind === "ours" ? OURS : BASE,
        text: v.stats.n > 0 ? `${ms(v.stats.median)} ms (p95 ${ms(v.stats.p95)})` : v.expectedFailure ? "fails (argv limit)" : "FAILED",
      });
    }
  }
  return bars;
}

/**
 * The chart: ratios against the baselines, latency (median bar, p95 whisker), file throughput, scale.
 *
 * @example
 * ```ts
 * await writeFile("latest.svg", renderResultsChart(results));
 * ```
 */
export function renderResultsChart(r: BenchResults): string {
  const panels: Panel[] = [];
  const latencyRatios: Bar[] = [];
  const throughputRatios: Bar[] = [];
  const reachRatios: Bar[] = [];
  for (const c of r.cases) {
    for (const v of c.variants) {
      if (v.kind !== "ours" || v.ratio === undefined) continue;
      const label = `${c.title} — ${v.name.replace(/^ours: /, "")}`;
      if (c.group === "reach") {
        // Its own log-scale panel: a tunnel exec per new connection puts these ratios tens of times
        // above the exec ones, which would flatten the linear latency panel. No target, so no verdict colour.
        reachRatios.push({ label, value: v.ratio, color: OURS, text: `${v.ratio.toFixed(2)}x` });
      } else if (c.metric === "latency") {
        const limit = c.group === "boot" ? 1.15 : c.group === "exec" ? 1.1 : 1;
        latencyRatios.push({ label, value: v.ratio, whisker: v.pairedRatio?.q3, color: v.ratio <= limit ? GOOD : BAD, text: `${v.ratio.toFixed(2)}x` });
      } else if (c.group === "files") {
        throughputRatios.push({ label, value: v.ratio, color: v.ratio >= 0.8 ? GOOD : BAD, text: `${v.ratio.toFixed(2)}x` });
      }
    }
  }
  if (latencyRatios.length > 0) {
    panels.push({
      title: "Latency ratio: ours ÷ baseline (median; whisker = paired q3; lower is better)",
      unit: "x",
      scale: "linear",
      bars: latencyRatios,
      refs: [
        { value: 1, label: "1.0", color: "#333" },
        { value: 1.1, label: "1.10", color: BAD },
      ],
    });
  }
  if (throughputRatios.length > 0) {
    panels.push({
      title: "File throughput ratio: ours ÷ docker cp (higher is better)",
      unit: "x",
      scale: "linear",
      bars: throughputRatios,
      refs: [
        { value: 0.8, label: "0.8 target", color: BAD },
        { value: 1, label: "1.0", color: "#333" },
      ],
    });
  }
  if (reachRatios.length > 0) {
    panels.push({
      title: "Reach ratio: ours ÷ baseline (latency: lower is better; download throughput: higher is better)",
      unit: "x",
      scale: "log",
      bars: reachRatios,
      refs: [{ value: 1, label: "1.0", color: "#333" }],
    });
  }
  const latencyCases = r.cases.filter((c) => c.metric === "latency");
  if (latencyCases.length > 0) panels.push({ title: "Latency: median bar, p95 whisker", unit: "ms", scale: "log", bars: latencyBars(latencyCases) });
  const fileCases = r.cases.filter((c) => c.group === "files");
  if (fileCases.length > 0) {
    const bars: Bar[] = [];
    for (const c of fileCases) {
      bars.push({ label: c.title, heading: true, value: Number.NaN, color: "" });
      for (const v of c.variants) {
        bars.push({
          label: v.name,
          value: v.throughputMiBps ?? Number.NaN,
          color: v.kind === "ours" ? OURS : BASE,
          text: v.throughputMiBps === undefined ? (v.expectedFailure ? "fails (argv limit)" : "FAILED") : `${mibps(v.throughputMiBps)} MiB/s`,
        });
      }
    }
    panels.push({ title: "File throughput at the median time", unit: "MiB/s", scale: "log", bars });
  }
  if (r.scale) {
    panels.push({
      title: `Scale: ${r.scale.execs} concurrent execs over ${r.scale.instances} instances (execs/s, median of rounds)`,
      unit: "execs/s",
      scale: "linear",
      bars: r.scale.variants.map((v) => ({
        label: v.name,
        value: v.throughput.median,
        color: v.kind === "ours" ? OURS : BASE,
        text: `${v.throughput.median.toFixed(0)}/s, ${v.errors} errors`,
      })),
    });
  }
  return renderChart("vm benchmarks", panels, `${r.mode} run ${r.runId} · ${r.machine.cpus} CPUs · Docker ${r.machine.docker.server} · Node ${r.machine.node}`);
}
