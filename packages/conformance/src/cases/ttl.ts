import { strict as assert } from "node:assert";
import type { TtlAction } from "@vm/core";
import { expectVMError } from "../assertions.js";
import type { ConformanceCase } from "../types.js";

/**
 * TTL option rules every provider holds the same way: `ttl_action` says what happens when the
 * TTL runs out, so without `ttl_seconds` it is an error (not ignored), and `ttl_seconds` alone
 * means `"stop"`.
 *
 * @example
 * ```ts
 * import { ttlCases } from "@vm/conformance";
 * console.log(ttlCases.map((c) => c.id));
 * ```
 */
export const ttlCases: readonly ConformanceCase[] = [
  {
    id: "instances.ttl-action-needs-seconds",
    title: "ttl_action without ttl_seconds is INVALID_ARGUMENT and boots nothing",
    level: "MUST",
    needs: [],
    async run(ctx) {
      // A provider without TTL support may refuse every TTL option as UNSUPPORTED instead.
      const codes = ctx.capabilities.ttl ? (["INVALID_ARGUMENT"] as const) : (["INVALID_ARGUMENT", "UNSUPPORTED"] as const);
      const mine = { "vmc-case": ctx.unique("ttlaction") };
      const metadata = { ...ctx.marker.metadata, ...mine };
      const { instances } = ctx.provider;
      try {
        for (const ttl_action of ["stop", "terminate"] satisfies TtlAction[]) {
          await expectVMError(() => instances.boot(ctx.snapshotId, { metadata, ttl_action }), ...codes);
        }
        assert.deepEqual(await instances.list({ metadata: mine }), [], "a rejected boot leaves no instance");
      } finally {
        // A provider that ignored the rule booted an instance: remove it, the case has failed anyway.
        for (const vm of await instances.list({ metadata: mine })) await instances.terminate(vm.id);
      }
    },
  },
  {
    id: "instances.ttl-default-action",
    title: "ttl_seconds without ttl_action is a TTL that stops the instance",
    level: "MUST",
    needs: ["ttl"],
    async run(ctx) {
      const vm = await ctx.boot({ ttl_seconds: 600 });
      assert.deepEqual(vm.ttl, { seconds: 600, action: "stop" }, "boot() reports the TTL with its default action");
      assert.deepEqual((await ctx.provider.instances.get(vm.id)).ttl, { seconds: 600, action: "stop" }, "get() reports the TTL with its default action");
    },
  },
];
