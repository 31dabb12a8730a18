// The reporter alone, for vitest.config files: it loads no vitest runtime API and no testcontainers.
export { createConformanceReporter } from "./reporter.js";
export type { ConformanceReporterOptions } from "./reporter.js";
export type { ConformanceMatrix, MatrixCell } from "./report.js";
