import type { DeployProgress, StepResult } from "./deploy-app.js";
import { formatDuration } from "./render.js";

/**
 * Where progress goes and how it looks.
 * - `tty`: a spinner on `spinner` (stderr) while a step runs, a ✔/✖ line with its time on `out` when done.
 * - `plain`: a start line and a done line per step on `out` (pipes, CI logs).
 * - `json`: terse start/done lines on `log` (stderr) only, so `out` stays pure JSON.
 *
 * @example
 * ```ts
 * import type { ProgressReporterOptions } from "@vm/demo";
 * const options: ProgressReporterOptions = { mode: "plain", out: process.stdout, log: process.stderr, color: false };
 * ```
 */
export interface ProgressReporterOptions {
  mode: "tty" | "plain" | "json";
  /** The report: done lines, step output, summary. */
  out: NodeJS.WritableStream;
  /** Spinner (tty) and JSON-mode progress lines. */
  log: NodeJS.WritableStream & { columns?: number };
  color: boolean;
}

/**
 * Renders `deployApp` progress events.
 *
 * @example
 * ```ts
 * import { createProgressReporter } from "@vm/demo";
 * const reporter = createProgressReporter({ mode: "plain", out: process.stdout, log: process.stderr, color: false });
 * reporter.line("starting");
 * reporter.stop();
 * ```
 */
export interface ProgressReporter {
  onProgress(event: DeployProgress): void;
  /** Print a line without breaking the spinner (it is redrawn after). */
  line(text: string): void;
  /** Stop the spinner, if any. */
  stop(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * Creates a progress reporter in the given mode.
 *
 * @example
 * ```ts
 * import { createProgressReporter } from "@vm/demo";
 * const mode = process.stdout.isTTY && process.stderr.isTTY ? "tty" : "plain";
 * const reporter = createProgressReporter({ mode, out: process.stdout, log: process.stderr, color: mode === "tty" });
 * reporter.stop();
 * ```
 */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const { mode, out, log } = options;
  const paint = (code: number, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const green = (text: string) => paint(32, text);
  const red = (text: string) => paint(31, text);
  const yellow = (text: string) => paint(33, text);
  const dim = (text: string) => paint(2, text);
  const cyan = (text: string) => paint(36, text);

  let total = 9;
  let current: { label: string; message: string; started: number } | undefined;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;

  const clear = () => {
    if (drawn) log.write("\r\x1b[2K");
    drawn = false;
  };
  const draw = () => {
    if (!current) return;
    const elapsed = formatDuration(performance.now() - current.started);
    // Keep the line shorter than the terminal: a wrapped line cannot be redrawn in place.
    const width = Math.max(20, (log.columns ?? 100) - 1);
    const plain = `${FRAMES[frame % FRAMES.length] ?? ""} ${current.label} ${elapsed}${current.message ? ` - ${current.message}` : ""}`;
    const text = plain.length > width ? `${plain.slice(0, width - 1)}…` : plain;
    log.write(`\r\x1b[2K${cyan(text.slice(0, 1))}${text.slice(1)}`);
    drawn = true;
    frame += 1;
  };
  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    clear();
  };

  const label = (step: number, title: string) => `${step}/${total} ${title}`;

  function printResult(result: StepResult) {
    const time = formatDuration(result.durationMs);
    const held = result.checks.filter((c) => c.ok).length;
    const checks = `${held}/${result.checks.length} checks`;
    if (mode === "json") {
      log.write(`[demo] step ${result.step}/${total} ${result.id}: ${result.status} in ${result.durationMs}ms (${checks})\n`);
      return;
    }
    const mark =
      result.status === "ok" ? green("✔") : result.status === "skipped" ? dim("-") : result.status === "interrupted" ? yellow("!") : red("✖");
    out.write(`${mark} ${label(result.step, result.title)} ${dim(`${checks}, ${time}`)}\n`);
    for (const line of result.output) out.write(`    ${dim(line)}\n`);
    for (const check of result.checks.filter((c) => !c.ok)) {
      out.write(`    ${red("✖")} ${check.name}${check.detail ? `: ${check.detail}` : ""}\n`);
    }
    if (result.error) out.write(`    ${result.status === "interrupted" ? yellow("interrupted") : red(result.error.code)}: ${result.error.message}\n`);
  }

  return {
    onProgress(event) {
      switch (event.type) {
        case "run-start":
          total = event.totalSteps;
          if (mode === "json") log.write(`[demo] run ${event.runId} on ${event.provider}\n`);
          else out.write(`${dim(`vm demo on ${event.provider} (run ${event.runId})`)}\n`);
          return;
        case "step-start":
          if (mode === "json") log.write(`[demo] step ${event.step.step}/${total} ${event.step.id}: start\n`);
          else if (mode === "plain") out.write(`> ${label(event.step.step, event.step.title)} ...\n`);
          else {
            current = { label: label(event.step.step, event.step.title), message: "", started: performance.now() };
            frame = 0;
            draw();
            timer = setInterval(draw, 80);
            timer.unref();
          }
          return;
        case "step-update":
          if (current) current.message = event.message;
          return;
        case "step-end":
          if (mode === "tty") {
            stopTimer();
            current = undefined;
          }
          printResult(event.result);
          return;
      }
    },
    line(text) {
      const target = mode === "json" ? log : out;
      clear();
      target.write(`${text}\n`);
      if (timer) draw();
    },
    stop() {
      stopTimer();
      current = undefined;
    },
  };
}
