import { strict as assert } from "node:assert";
import { expectVMError } from "../assertions.js";
import type { ConformanceCase } from "../types.js";

/**
 * A snapshot is of a running instance (memory and disk, as Morph takes it): a stopped one is
 * `CONFLICT` on every provider, and nothing is created.
 */
export const stoppedSnapshotCases: readonly ConformanceCase[] = [
  {
    id: "snapshots.create-stopped-conflict",
    title: "snapshots.create of a stopped instance is CONFLICT and creates no snapshot",
    level: "MUST",
    needs: ["snapshots", "stop"],
    timeoutMs: 180_000,
    async run(ctx) {
      const vm = await ctx.boot();
      await ctx.provider.instances.stop(vm.id);
      const mine = { metadata: { "vm-conformance-run": ctx.marker.run } };
      const before = (await ctx.provider.snapshots.list(mine)).length;
      await expectVMError(() => ctx.createSnapshot(vm.id), "CONFLICT");
      assert.equal((await ctx.provider.snapshots.list(mine)).length, before, "no snapshot was created");
    },
  },
];
