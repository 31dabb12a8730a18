import type { CaseGroup, ConformanceCase } from "../types.js";
import { capabilityCases } from "./capabilities.js";
import { concurrencyCases } from "./concurrency.js";
import { execIdentityCases } from "./exec-identity.js";
import { execKillCases } from "./exec-kill.js";
import { execCases } from "./exec.js";
import { filePathCases } from "./file-paths.js";
import { foreignDirectoryCases } from "./files-foreign-directory.js";
import { largeInPlaceCases } from "./files-large-inplace.js";
import { specialTargetCases } from "./files-special-targets.js";
import { specialFileCases } from "./files-special.js";
import { fileCases } from "./files.js";
import { instanceCases } from "./instances.js";
import { processCases } from "./processes.js";
import { processForkCases } from "./processes-fork.js";
import { forkLimitCases } from "./fork-limit.js";
import { resourceCases } from "./resources.js";
import { snapshotCases } from "./snapshots.js";
import { ttlCases } from "./ttl.js";
import { stoppedSnapshotCases } from "./snapshots-stopped.js";
import { typeCases } from "./types.js";
import { pauseCases } from "./pause.js";
import { processStreamLogCases } from "./processes-stream-logs.js";
import { reachCases } from "./reach.js";
import { stdinStreamCases } from "./stdin-stream.js";

/**
 * Every case, grouped by the service whose shared instance it uses, in run order.
 */
export const CASE_GROUPS: readonly CaseGroup[] = [
  { id: "capabilities", title: "capabilities", cases: capabilityCases },
  { id: "instances", title: "instances: lifecycle", cases: [...instanceCases, ...ttlCases, ...forkLimitCases, ...resourceCases] },
  { id: "exec", title: "instances: exec", cases: [...execCases, ...execIdentityCases, ...execKillCases, ...stdinStreamCases] },
  { id: "files", title: "files", cases: [...fileCases, ...filePathCases, ...specialFileCases, ...specialTargetCases, ...largeInPlaceCases, ...foreignDirectoryCases] },
  { id: "snapshots", title: "snapshots and images", cases: [...snapshotCases, ...stoppedSnapshotCases] },
  { id: "processes", title: "processes (PM2)", cases: [...processCases, ...processForkCases, ...processStreamLogCases] },
  { id: "reach", title: "reaching the VM: exposed ports, pause and resume", cases: [...reachCases, ...pauseCases] },
  { id: "concurrency", title: "concurrency", cases: concurrencyCases },
  { id: "types", title: "argument types", cases: typeCases },
];

/**
 * Every case as one flat list.
 */
export const ALL_CASES: readonly ConformanceCase[] = CASE_GROUPS.flatMap((g) => g.cases);

/** The case id of the final leak check. */
export const LEAK_CHECK_ID = "cleanup.nothing-left";
