// What a provider author calls to run the suite. The case lists and the helpers the cases use
// are not exported: run them through describeProviderConformance/runConformance.
export { describeProviderConformance } from "./describe.js";
export type { DescribeConformanceOptions } from "./describe.js";
export { runConformance } from "./run.js";
export type { RunConformanceOptions } from "./run.js";
export { MARKER_KEYS } from "./session.js";
export { VM_ASSUMPTIONS } from "./assumptions.js";
export type { VMAssumption } from "./assumptions.js";
export { createConformanceReporter } from "./reporter.js";
export type { ConformanceReporterOptions } from "./reporter.js";
export type { ConformanceMatrix, MatrixCell } from "./report.js";
export type { ConformanceTaskMeta } from "./meta.js";
export type {
  Capability,
  CaseContext,
  CaseGroup,
  CaseOutcome,
  ConformanceCase,
  ConformanceLevel,
  ConformanceMarker,
  ConformanceSetup,
  ConformanceTarget,
  ResourceTracker,
} from "./types.js";
