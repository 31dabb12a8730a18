export { describeProviderConformance } from "./describe.js";
export type { DescribeConformanceOptions } from "./describe.js";
export { runConformance } from "./run.js";
export type { RunConformanceOptions } from "./run.js";
export { ALL_CASES, CASE_GROUPS, LEAK_CHECK_ID } from "./cases/index.js";
export { CAPABILITIES, capabilityCases } from "./cases/capabilities.js";
export { concurrencyCases } from "./cases/concurrency.js";
export { execCases, HOSTILE_STRINGS } from "./cases/exec.js";
export { execKillCases } from "./cases/exec-kill.js";
export { execIdentityCases } from "./cases/exec-identity.js";
export { fileCases, HOSTILE_NAMES } from "./cases/files.js";
export { filePathCases } from "./cases/file-paths.js";
export { specialFileCases } from "./cases/files-special.js";
export { specialTargetCases } from "./cases/files-special-targets.js";
export { largeInPlaceCases } from "./cases/files-large-inplace.js";
export { foreignDirectoryCases } from "./cases/files-foreign-directory.js";
export { forkLimitCases } from "./cases/fork-limit.js";
export { stoppedSnapshotCases } from "./cases/snapshots-stopped.js";
export { instanceCases } from "./cases/instances.js";
export { ttlCases } from "./cases/ttl.js";
export { typeCases } from "./cases/types.js";
export { processCases } from "./cases/processes.js";
export { snapshotCases } from "./cases/snapshots.js";
export { assertVMErrorCode, eventually, expectVMError } from "./assertions.js";
export { createResourceTracker } from "./tracker.js";
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
