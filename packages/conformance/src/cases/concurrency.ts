import { strict as assert } from "node:assert";
import type { ConformanceCase } from "../types.js";

/**
 * Concurrency cases: 20 parallel execs and file writes on one instance, 4 instances at once.
 */
export const concurrencyCases: readonly ConformanceCase[] = [
  {
    id: "concurrency.parallel-exec",
    title: "20 parallel execs on one instance each get their own output and exit code",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => ctx.sh(id, 'sleep 0.$(( $1 % 5 )); echo "out $1"; echo "err $1" >&2; exit $(( $1 % 7 ))', [String(i)])),
      );
      results.forEach((r, i) => assert.deepEqual(r, { stdout: `out ${i}\n`, stderr: `err ${i}\n`, exit_code: i % 7 }, `exec ${i}`));
    },
  },
  {
    id: "concurrency.parallel-writes",
    title: "20 parallel writes to distinct files all land; 20 atomic writes to one file leave one whole version",
    level: "MUST",
    needs: [],
    timeoutMs: 240_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const body = (i: number) => `file ${i} `.repeat(2000 + i);
      await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.provider.files.writeFile(id, `${dir}/f${i}`, body(i))));
      const back = await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.provider.files.readFile(id, `${dir}/f${i}`)));
      back.forEach((text, i) => assert.equal(text, body(i), `file ${i}`));
      await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.provider.files.writeFileAtomic(id, `${dir}/shared`, body(i))));
      const final = await ctx.provider.files.readFile(id, `${dir}/shared`);
      assert.ok(Array.from({ length: 20 }, (_, i) => body(i)).includes(final), "the shared file holds exactly one of the writes");
      assert.deepEqual(
        (await ctx.provider.files.listDirectory(id, dir)).map((e) => e.name).sort(),
        [...Array.from({ length: 20 }, (_, i) => `f${i}`), "shared"].sort(),
        "no temporary files are left",
      );
    },
  },
  {
    id: "concurrency.parallel-boot",
    title: "4 instances boot at once, each ready and isolated from the others",
    level: "MUST",
    needs: [],
    timeoutMs: 180_000,
    async run(ctx) {
      const vms = await Promise.all(Array.from({ length: 4 }, () => ctx.boot()));
      assert.equal(new Set(vms.map((v) => v.id)).size, 4, "4 distinct ids");
      await Promise.all(vms.map((vm, i) => ctx.provider.files.writeFile(vm.id, `/tmp/vmc-owner-${i}`, vm.id)));
      for (const [i, vm] of vms.entries()) {
        assert.equal(vm.status, "ready");
        assert.equal(await ctx.provider.files.readFile(vm.id, `/tmp/vmc-owner-${i}`), vm.id);
        const others = await ctx.sh(vm.id, "ls /tmp | grep -c '^vmc-owner-' || true");
        assert.equal(others.stdout.trim(), "1", `instance ${i} sees only its own file`);
      }
    },
  },
];
