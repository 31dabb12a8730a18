import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const packageDir = join(import.meta.dirname, "..");

// The README's examples are types-only code, so "they run" means they compile against the
// built declarations exactly as a user's project would see them.
describe("README examples", () => {
  it("type-check against the published declarations", async () => {
    const readme = await readFile(join(packageDir, "README.md"), "utf8");
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    expect(blocks.length).toBeGreaterThanOrEqual(2);

    const dir = await mkdtemp(join(packageDir, ".readme-check-"));
    try {
      await Promise.all(blocks.map((code, i) => writeFile(join(dir, `example-${i}.ts`), code)));
      await writeFile(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          extends: "../../../tsconfig.base.json",
          compilerOptions: { noEmit: true, paths: { "@vm/core": ["../dist/index.d.ts"] } },
          include: ["*.ts"],
        }),
      );
      const tsc = join(packageDir, "..", "..", "node_modules", ".bin", "tsc");
      const result = await promisify(execFile)(tsc, ["-p", dir]).then(
        () => ({ ok: true, output: "" }),
        (err: { stdout?: string; message?: string }) => ({ ok: false, output: err.stdout ?? err.message ?? "tsc failed" }),
      );
      expect(result).toEqual({ ok: true, output: "" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
