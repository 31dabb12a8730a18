import type { ConformanceLevel } from "./types.js";

/**
 * What each registered vitest test carries in its task meta (`meta.conformance`), so the
 * reporter can build the matrix without parsing test names.
 *
 * @example
 * ```ts
 * import type { ConformanceTaskMeta } from "@vm/conformance";
 * const meta: ConformanceTaskMeta = { provider: "docker", caseId: "exec.stdin", level: "MUST", title: "stdin", needs: ["stdin"] };
 * ```
 */
export interface ConformanceTaskMeta {
  provider: string;
  caseId: string;
  level: ConformanceLevel;
  title: string;
  needs: string[];
  /** Set when the case is skipped because of a capability (or missing image). */
  skipReason?: string;
}

export function readConformanceMeta(meta: unknown): ConformanceTaskMeta | undefined {
  if (typeof meta !== "object" || meta === null) return undefined;
  const value = (meta as { conformance?: unknown }).conformance;
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Partial<ConformanceTaskMeta>;
  if (typeof m.provider !== "string" || typeof m.caseId !== "string" || (m.level !== "MUST" && m.level !== "SHOULD")) return undefined;
  return m as ConformanceTaskMeta;
}
