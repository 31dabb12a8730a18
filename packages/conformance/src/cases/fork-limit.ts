import { strict as assert } from "node:assert";
import { MAX_FORK_COUNT } from "@vm/provider-kit";
import { expectVMError } from "../assertions.js";
import type { ConformanceCase } from "../types.js";

/**
 * The largest `fork` count is the kit's `MAX_FORK_COUNT` on every provider: one more is
 * `INVALID_ARGUMENT` before any work.
 */
export const forkLimitCases: readonly ConformanceCase[] = [
  {
    id: "instances.fork-count-limit",
    title: `fork with count MAX_FORK_COUNT + 1 (${MAX_FORK_COUNT + 1}) is INVALID_ARGUMENT and creates nothing`,
    level: "MUST",
    needs: ["fork"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const mine = { metadata: { "vm-conformance-run": ctx.marker.run } };
      const before = (await ctx.provider.instances.list(mine)).length;
      await expectVMError(() => ctx.fork(id, MAX_FORK_COUNT + 1), "INVALID_ARGUMENT");
      assert.equal((await ctx.provider.instances.list(mine)).length, before, "a rejected fork creates no instance");
    },
  },
];
