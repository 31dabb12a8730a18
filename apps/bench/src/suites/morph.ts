import type { BenchContext } from "../context.js";
import type { CaseResult } from "../harness.js";

/** Morph results: cases plus what the report should say about them. */
export interface MorphSuiteResult {
  version: string | null;
  cases: CaseResult[];
  notes: string[];
}

/**
 * Morph provider overhead through the emulator, against raw fetch of the same endpoints.
 *
 * @example
 * ```ts
 * const morph = await morphSuite(ctx);
 * ```
 */
export function morphSuite(_ctx: BenchContext): Promise<MorphSuiteResult> {
  return Promise.resolve({ version: null, cases: [], notes: ["morph: not measured yet (emulator not wired in)."] });
}
