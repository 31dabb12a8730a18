import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { StepResult } from "./deploy-app.js";
import { createProgressReporter } from "./progress.js";

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

const definition = { step: 3, id: "write-config", title: "Write config.json atomically (mode 600)" } as const;
const result: StepResult = {
  ...definition,
  ok: false,
  status: "failed",
  durationMs: 1234,
  checks: [
    { name: "mode is 600", ok: false, detail: "644" },
    { name: "content reads back", ok: true },
  ],
  details: {},
  output: ["/app/config.json (mode 644)"],
};

describe("createProgressReporter", () => {
  it("plain mode: a start line, then the result with time, output and failed checks", () => {
    const out = sink();
    const log = sink();
    const reporter = createProgressReporter({ mode: "plain", out: out.stream, log: log.stream, color: false });
    reporter.onProgress({ type: "run-start", runId: "demo-1", provider: "docker", totalSteps: 9 });
    reporter.onProgress({ type: "step-start", step: definition });
    reporter.onProgress({ type: "step-update", step: definition, message: "writing" });
    reporter.onProgress({ type: "step-end", result });
    expect(out.text()).toBe(
      [
        "vm demo on docker (run demo-1)",
        "> 3/9 Write config.json atomically (mode 600) ...",
        "✖ 3/9 Write config.json atomically (mode 600) 1/2 checks, 1.2s",
        "    /app/config.json (mode 644)",
        "    ✖ mode is 600: 644",
        "",
      ].join("\n"),
    );
    expect(log.text()).toBe("");
  });

  it("json mode: progress goes to the log stream only", () => {
    const out = sink();
    const log = sink();
    const reporter = createProgressReporter({ mode: "json", out: out.stream, log: log.stream, color: false });
    reporter.onProgress({ type: "run-start", runId: "demo-1", provider: "docker", totalSteps: 9 });
    reporter.onProgress({ type: "step-start", step: definition });
    reporter.onProgress({ type: "step-end", result });
    expect(out.text()).toBe("");
    expect(log.text()).toBe(
      ["[demo] run demo-1 on docker", "[demo] step 3/9 write-config: start", "[demo] step 3/9 write-config: failed in 1234ms (1/2 checks)", ""].join("\n"),
    );
  });

  it("tty mode: draws a spinner on the log stream and clears it when the step ends", () => {
    const out = sink();
    const log = sink();
    const reporter = createProgressReporter({ mode: "tty", out: out.stream, log: log.stream, color: false });
    reporter.onProgress({ type: "step-start", step: definition });
    reporter.onProgress({ type: "step-end", result: { ...result, ok: true, status: "ok", checks: [] } });
    reporter.stop();
    const clearLine = "\r\u001b[2K";
    const drawn = log.text();
    expect(drawn.startsWith(`${clearLine}⠋ 3/9 Write config.json atomically (mode 600) `)).toBe(true);
    expect(drawn.endsWith(`ms${clearLine}`)).toBe(true);
    expect(out.text()).toContain("✔ 3/9 Write config.json atomically (mode 600) 0/0 checks, 1.2s");
  });
});
