import { CASE_GROUPS, LEAK_CHECK_ID } from "./cases/index.js";
import { createSession, skipReason } from "./session.js";
import type { CaseOutcome, ConformanceTarget } from "./types.js";

/**
 * Options for `runConformance()`.
 *
 * @example
 * ```ts
 * import type { RunConformanceOptions } from "@vm/conformance";
 * const options: RunConformanceOptions = { only: (id) => id.startsWith("exec.") };
 * ```
 */
export interface RunConformanceOptions {
  /** Run only the cases whose id passes. */
  only?: (caseId: string) => boolean;
}

/**
 * Run the suite without vitest (same cases, trackers, sweeps and leak check) and return one
 * outcome per case, the leak check last. Useful in scripts and to test the suite itself.
 *
 * @example
 * ```ts
 * import { runConformance } from "@vm/conformance";
 * import type { ConformanceTarget } from "@vm/conformance";
 * declare const target: ConformanceTarget;
 * const outcomes = await runConformance(target, { only: (id) => id.startsWith("files.") });
 * console.log(outcomes.filter((o) => o.state === "fail").map((o) => o.id));
 * ```
 */
export async function runConformance(target: ConformanceTarget, options: RunConformanceOptions = {}): Promise<CaseOutcome[]> {
  const session = createSession(target);
  const outcomes: CaseOutcome[] = [];
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
  try {
    for (const group of CASE_GROUPS) {
      const fixture = session.group(group);
      for (const c of group.cases) {
        if (options.only && !options.only(c.id)) continue;
        const base = { id: c.id, title: c.title, level: c.level };
        let reason = skipReason(c, target);
        if (reason === undefined && c.needsImageId) {
          try {
            if ((await session.ready()).imageId === undefined) reason = "target setup gave no imageId";
          } catch {
            // setup errors surface as the case's failure below
          }
        }
        if (reason !== undefined) {
          outcomes.push({ ...base, state: "skip", detail: reason, durationMs: 0 });
          continue;
        }
        const started = Date.now();
        try {
          await fixture.run(c);
          outcomes.push({ ...base, state: "pass", durationMs: Date.now() - started });
        } catch (error) {
          outcomes.push({ ...base, state: "fail", detail: message(error), error, durationMs: Date.now() - started });
        }
      }
      await fixture.dispose();
    }
    const started = Date.now();
    const leak = { id: LEAK_CHECK_ID, title: "nothing the run made is left behind", level: "MUST" as const };
    try {
      const left = await session.leftovers();
      outcomes.push(
        left.length === 0
          ? { ...leak, state: "pass", durationMs: Date.now() - started }
          : { ...leak, state: "fail", detail: `left behind: ${left.join(", ")}`, durationMs: Date.now() - started },
      );
    } catch (error) {
      outcomes.push({ ...leak, state: "fail", detail: message(error), error, durationMs: Date.now() - started });
    }
  } finally {
    await session.finish();
  }
  return outcomes;
}
