import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Reporter, TestModule, Vitest } from "vitest/node";
import { ALL_CASES, LEAK_CHECK_ID } from "./cases/index.js";
import { readConformanceMeta } from "./meta.js";
import { parseMatrix, renderJUnit, renderMatrixMarkdown, renderSummary, renderTable, replaceBetweenMarkers } from "./report.js";
import type { ConformanceMatrix, MatrixCell } from "./report.js";

/** The environment variable that sets the report directory when `outputDir` is not given. */
export const REPORT_DIR_ENV = "VM_CONFORMANCE_REPORT_DIR";

/**
 * Options for `createConformanceReporter()`. Relative paths resolve against vitest's root.
 *
 * @example
 * ```ts
 * import type { ConformanceReporterOptions } from "@vm/conformance/reporter";
 * const options: ConformanceReporterOptions = { outputDir: "reports/conformance", matrixFile: "docs/conformance-matrix.md" };
 * ```
 */
export interface ConformanceReporterOptions {
  /**
   * Where `junit.xml`, `matrix.md` and `results.json` of this run go. Without it, the
   * `VM_CONFORMANCE_REPORT_DIR` environment variable, else `reports/conformance`.
   *
   * @default process.env.VM_CONFORMANCE_REPORT_DIR ?? "reports/conformance"
   */
  outputDir?: string;
  /**
   * A matrix file to keep across runs: each run replaces the columns of the providers it ran
   * and keeps the others' last results. `false`: none.
   *
   * @default false
   */
  matrixFile?: string | false;
  /**
   * Files whose `<!-- conformance-matrix:start -->…<!-- conformance-matrix:end -->` block gets
   * the latest matrix (merged like `matrixFile`, when one is set).
   *
   * @default []
   */
  readmeFiles?: string[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function write(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/**
 * Collect the results of a run's conformance tests (found by their task meta) from the
 * vitest modules into a matrix. Tests of other suites are ignored.
 */
export function collectMatrix(
  modules: ReadonlyArray<TestModule>,
  runAt: string,
): { matrix: ConformanceMatrix; durations: Record<string, Record<string, number>> } {
  const matrix: ConformanceMatrix = { cases: {}, providers: {} };
  const durations: Record<string, Record<string, number>> = {};
  for (const module of modules) {
    for (const test of module.children.allTests()) {
      const meta = readConformanceMeta(test.meta());
      if (!meta) continue;
      matrix.cases[meta.caseId] = { level: meta.level, title: meta.title };
      const provider = (matrix.providers[meta.provider] ??= { runAt, results: {} });
      const result = test.result();
      let c: MatrixCell;
      if (result.state === "passed") c = { state: "pass" };
      else if (result.state === "failed") c = { state: "fail", detail: result.errors.map((e) => e.message).join("; ") };
      else if (result.state === "skipped") {
        const reason = result.note ?? meta.skipReason;
        // Skipped without a reason means filtered out (-t, .only): not a result for the matrix.
        if (reason === undefined) continue;
        c = { state: "skip", detail: reason };
      }
      else c = { state: "fail", detail: "did not finish" };
      provider.results[meta.caseId] = c;
      (durations[meta.provider] ??= {})[meta.caseId] = test.diagnostic()?.duration ?? 0;
    }
  }
  return { matrix, durations };
}

/**
 * A vitest reporter that writes, after every run that included conformance tests,
 * `junit.xml`, `matrix.md` and `results.json` into `outputDir`; and, when asked, regenerates
 * `matrixFile` (keeping the last results of providers that did not run this time) and the
 * matrix block of each of `readmeFiles`. Runs without conformance tests write nothing.
 *
 * @example
 * ```ts
 * // vitest.config.ts
 * import { defineConfig } from "vitest/config";
 * import { createConformanceReporter } from "@vm/conformance/reporter";
 *
 * export default defineConfig({
 *   test: { reporters: ["default", createConformanceReporter({ outputDir: "reports/conformance" })] },
 * });
 * ```
 */
export function createConformanceReporter(options: ConformanceReporterOptions = {}): Reporter {
  let root = process.cwd();
  return {
    onInit(vitest: Vitest) {
      root = vitest.config.root;
    },
    onTestRunEnd(modules) {
      const runAt = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      const { matrix: fresh, durations } = collectMatrix(modules, runAt);
      const ran = Object.keys(fresh.providers);
      if (ran.length === 0) return;
      const outputDir = resolve(root, options.outputDir ?? (process.env[REPORT_DIR_ENV] || "reports/conformance"));
      write(resolve(outputDir, "junit.xml"), renderJUnit(fresh, ran, durations));
      write(resolve(outputDir, "results.json"), `${JSON.stringify(fresh, null, 2)}\n`);
      write(resolve(outputDir, "matrix.md"), renderMatrixMarkdown(fresh));
      // One line per provider: vitest's own output hides skip reasons on a green run.
      for (const p of ran) {
        const cells = Object.values(fresh.providers[p]!.results);
        const count = (state: MatrixCell["state"]) => cells.filter((c) => c.state === state).length;
        process.stdout.write(`conformance ${p}: ${count("pass")} pass, ${count("fail")} fail, ${count("skip")} skip (reasons and failures: ${resolve(outputDir, "matrix.md")})\n`);
      }
      const matrixFile = options.matrixFile ?? false;
      if (matrixFile === false && (options.readmeFiles ?? []).length === 0) return;
      const matrixPath = matrixFile === false ? undefined : resolve(root, matrixFile);
      const merged = parseMatrix(matrixPath === undefined ? undefined : read(matrixPath));
      // A partial run (-t filter) updates only the cells it ran; the rest keep their last result.
      for (const p of ran) {
        merged.providers[p] = { runAt: fresh.providers[p]!.runAt, results: { ...merged.providers[p]?.results, ...fresh.providers[p]!.results } };
      }
      // Titles and levels come from the catalogue (a filtered run may not register every case);
      // cases that no longer exist drop out.
      const catalogue: ConformanceMatrix["cases"] = { ...merged.cases, ...fresh.cases };
      for (const c of ALL_CASES) catalogue[c.id] = { level: c.level, title: c.title };
      merged.cases = {};
      for (const id of [...ALL_CASES.map((c) => c.id), LEAK_CHECK_ID]) if (catalogue[id]) merged.cases[id] = catalogue[id];
      for (const p of Object.keys(merged.providers)) {
        for (const id of Object.keys(merged.providers[p]!.results)) {
          if (!(id in merged.cases)) delete merged.providers[p]!.results[id];
        }
      }
      if (matrixPath !== undefined) write(matrixPath, renderMatrixMarkdown(merged));
      for (const file of options.readmeFiles ?? []) {
        const path = resolve(root, file);
        const current = read(path);
        const next = current && replaceBetweenMarkers(current, `${renderSummary(merged)}\n\n${renderTable(merged)}`);
        if (next !== undefined && next !== current) write(path, next);
      }
    },
  };
}
