import { strict as assert } from "node:assert";
import type { VMResourcesInForce } from "@vm/core";
import type { CaseContext, ConformanceCase } from "../types.js";

const MB = 1024 * 1024;

/** The memory the case boots with: small enough to tell from a host's, large enough for any Linux userland. */
const MEMORY_MB = 256;

// Every memory limit the VM shows, one "<source> <bytes>" line each: the cgroup v2 limit, the
// cgroup v1 limit (either says "no limit" with "max" or a huge number), and MemTotal (a VM
// without a cgroup limit, like Morph's, shows its size there). The limit in force is the least.
const MEMORY_LIMIT_SCRIPT = `
if [ -r /sys/fs/cgroup/memory.max ]; then v=$(cat /sys/fs/cgroup/memory.max); [ "$v" = max ] || echo "cgroup2-memory.max $v"; fi
if [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then echo "cgroup1-memory.limit_in_bytes $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"; fi
awk '/^MemTotal:/ { printf "meminfo-MemTotal %.0f\\n", $2 * 1024 }' /proc/meminfo
`;

/** The least memory limit the VM shows, and where it was read. */
async function memoryLimit(ctx: CaseContext, instanceId: string): Promise<{ bytes: number; source: string }> {
  const result = await ctx.sh(instanceId, MEMORY_LIMIT_SCRIPT);
  assert.equal(result.exit_code, 0, `reading the memory limit failed: ${result.stderr}`);
  const limits = result.stdout
    .trim()
    .split("\n")
    .map((line) => line.split(" "))
    .map(([source, value]) => ({ source: source ?? "", bytes: Number(value) }))
    .filter((l) => Number.isFinite(l.bytes) && l.bytes > 0);
  assert.ok(limits.length > 0, `no memory limit readable in the VM (assumption memory-limit-visible); output: ${JSON.stringify(result.stdout.slice(0, 200))}`);
  return limits.reduce((least, l) => (l.bytes < least.bytes ? l : least));
}

function assertComplete(resources: VMResourcesInForce | undefined, memoryMb: number, what: string): void {
  assert.ok(resources, `${what} reports resources`);
  assert.equal(resources.memoryMb, memoryMb, `${what} reports the memory asked for`);
  for (const key of ["vcpus", "diskMb"] as const) assert.ok(Number.isSafeInteger(resources[key]) && resources[key] > 0, `${what}: resources.${key} is a positive whole number, got ${resources[key]}`);
}

/**
 * Machine size: `boot({ resources })` puts the size in force in the VM and `get()`/`list()`
 * report it.
 */
export const resourceCases: readonly ConformanceCase[] = [
  {
    id: "instances.resources-memory-limit",
    title: `boot with resources.memoryMb ${MEMORY_MB} puts a memory limit of at most ${MEMORY_MB} MB in force in the VM, and boot/get/list report it`,
    level: "MUST",
    needs: ["resources"],
    async run(ctx) {
      const tag = ctx.unique("resources");
      const vm = await ctx.boot({ resources: { memoryMb: MEMORY_MB }, metadata: { "vmc-case": tag } });
      assertComplete(vm.resources, MEMORY_MB, "boot()");
      const got = await ctx.provider.instances.get(vm.id);
      assertComplete(got.resources, MEMORY_MB, "get()");
      const listed = await ctx.provider.instances.list({ metadata: { "vmc-case": tag } });
      assert.deepEqual(listed.map((i) => i.resources), [got.resources], "list() reports what get() does");
      const limit = await memoryLimit(ctx, vm.id);
      assert.ok(limit.bytes <= MEMORY_MB * MB, `the VM's memory limit (${limit.source}) is ${limit.bytes} bytes, more than the ${MEMORY_MB} MB asked for`);
      // A VM's MemTotal is a little under its size (the kernel keeps some): half rules out a
      // limit that is not this boot's at all.
      assert.ok(limit.bytes > (MEMORY_MB * MB) / 2, `the VM's memory limit (${limit.source}) is ${limit.bytes} bytes, far below the ${MEMORY_MB} MB asked for`);
    },
  },
];
