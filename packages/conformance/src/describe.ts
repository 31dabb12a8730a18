import { afterAll, describe, it } from "vitest";
import type { TaskMeta } from "vitest";
import { CASE_GROUPS, LEAK_CHECK_ID } from "./cases/index.js";
import type { ConformanceTaskMeta } from "./meta.js";
import { createSession, skipReason } from "./session.js";
import type { ConformanceCase, ConformanceTarget } from "./types.js";

/**
 * Options for `describeProviderConformance()`.
 *
 * @example
 * ```ts
 * import type { DescribeConformanceOptions } from "@vm/conformance";
 * const options: DescribeConformanceOptions = { only: (id) => id.startsWith("files.") };
 * ```
 */
export interface DescribeConformanceOptions {
  /** Register only the cases whose id passes (the leak check always runs). */
  only?: (caseId: string) => boolean;
}

function meta(target: ConformanceTarget, c: Pick<ConformanceCase, "id" | "level" | "title" | "needs">, reason?: string): Partial<TaskMeta> {
  const conformance: ConformanceTaskMeta = { provider: target.name, caseId: c.id, level: c.level, title: c.title, needs: [...c.needs] };
  if (reason !== undefined) conformance.skipReason = reason;
  return { conformance } as Partial<TaskMeta>;
}

/**
 * Register the whole conformance suite for one provider in the calling vitest file: one
 * `describe` per service group, one test per case (`<case id> [MUST|SHOULD] <title>`), a
 * visible skip with its reason for each case the provider's capabilities rule out, and a
 * final leak check that fails if anything the run made is left.
 *
 * @example
 * ```ts
 * import { inject } from "vitest";
 * import { describeProviderConformance } from "@vm/conformance";
 * import { createDockerVMProvider } from "@vm/provider-docker";
 *
 * const provider = createDockerVMProvider();
 * describeProviderConformance({
 *   name: "docker",
 *   capabilities: provider.capabilities,
 *   async setup() {
 *     const image = inject("baseImage");
 *     const snapshot = await provider.snapshots.fromImage(image);
 *     return { provider, snapshotId: snapshot.id, imageId: image };
 *   },
 * });
 * ```
 */
export function describeProviderConformance(target: ConformanceTarget, options: DescribeConformanceOptions = {}): void {
  const session = createSession(target);
  const caseTimeout = target.caseTimeoutMs ?? 90_000;
  let imageKnown: boolean | undefined;

  describe(`conformance: ${target.name}`, () => {
    afterAll(() => session.finish(), 300_000);

    for (const group of CASE_GROUPS) {
      const cases = group.cases.filter((c) => options.only?.(c.id) ?? true);
      if (cases.length === 0) continue;
      describe(group.title, () => {
        const fixture = session.group(group);
        afterAll(() => fixture.dispose(), 300_000);
        for (const c of cases) {
          const reason = skipReason(c, target);
          const name = `${c.id} [${c.level}] ${c.title}`;
          if (reason !== undefined) {
            it.skip(`${name} [SKIP: ${reason}]`, { meta: meta(target, c, reason) }, () => {});
            continue;
          }
          it(name, { timeout: c.timeoutMs ?? caseTimeout, meta: meta(target, c) }, async (context) => {
            if (c.needsImageId) {
              imageKnown ??= (await session.ready()).imageId !== undefined;
              if (!imageKnown) {
                const why = "target setup gave no imageId";
                (context.task.meta as { conformance?: ConformanceTaskMeta }).conformance!.skipReason = why;
                context.skip(why);
              }
            }
            await fixture.run(c);
          });
        }
      });
    }

    describe("cleanup", () => {
      const leak = { id: LEAK_CHECK_ID, level: "MUST" as const, title: "nothing the run made is left behind", needs: [] };
      it(`${leak.id} [MUST] ${leak.title}`, { timeout: 300_000, meta: meta(target, leak) }, async () => {
        const left = await session.leftovers();
        if (left.length > 0) throw new Error(`the run left ${left.length} resource(s) behind: ${left.join(", ")}`);
      });
    });
  });
}
