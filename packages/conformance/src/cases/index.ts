import type { CaseGroup, ConformanceCase } from "../types.js";
import { capabilityCases } from "./capabilities.js";
import { concurrencyCases } from "./concurrency.js";
import { execKillCases } from "./exec-kill.js";
import { execCases } from "./exec.js";
import { filePathCases } from "./file-paths.js";
import { specialFileCases } from "./files-special.js";
import { fileCases } from "./files.js";
import { instanceCases } from "./instances.js";
import { processCases } from "./processes.js";
import { snapshotCases } from "./snapshots.js";
import { typeCases } from "./types.js";

/**
 * Every case, grouped by the service whose shared instance it uses, in run order.
 */
export const CASE_GROUPS: readonly CaseGroup[] = [
  { id: "capabilities", title: "capabilities", cases: capabilityCases },
  { id: "instances", title: "instances: lifecycle", cases: instanceCases },
  { id: "exec", title: "instances: exec", cases: [...execCases, ...execKillCases] },
  { id: "files", title: "files", cases: [...fileCases, ...filePathCases, ...specialFileCases] },
  { id: "snapshots", title: "snapshots and images", cases: snapshotCases },
  { id: "processes", title: "processes (PM2)", cases: processCases },
  { id: "concurrency", title: "concurrency", cases: concurrencyCases },
  { id: "types", title: "argument types", cases: typeCases },
];

/**
 * Every case as one flat list.
 */
export const ALL_CASES: readonly ConformanceCase[] = CASE_GROUPS.flatMap((g) => g.cases);

/** The case id of the final leak check. */
export const LEAK_CHECK_ID = "cleanup.nothing-left";
