import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const packageDir = join(import.meta.dirname, "..");
const run = promisify(execFile);
let dir: string;
let blocks: string[];

// The examples import "@vm/provider-kit" by name: inside this package that resolves (package
// self-reference) to the built dist, exactly what a user gets. `pnpm test` builds first.
beforeAll(async () => {
  const readme = await readFile(join(packageDir, "README.md"), "utf8");
  blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  dir = await mkdtemp(join(packageDir, ".readme-check-"));
  await Promise.all(blocks.map((code, i) => writeFile(join(dir, `example-${i}.ts`), code)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("README examples", () => {
  it("type-check against the published declarations", async () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    await writeFile(
      join(dir, "tsconfig.json"),
      JSON.stringify({ extends: "../../../tsconfig.base.json", compilerOptions: { noEmit: true, module: "NodeNext", target: "ES2023" }, include: ["*.ts"] }),
    );
    const tsc = join(packageDir, "..", "..", "node_modules", ".bin", "tsc");
    const result = await run(tsc, ["-p", dir]).then(
      () => "",
      (err: { stdout?: string; message?: string }) => err.stdout ?? err.message ?? "tsc failed",
    );
    expect(result).toBe("");
  });

  it("run, and print what their comments say", async () => {
    const outputs: string[] = [];
    for (const [i, code] of blocks.entries()) {
      if (code.includes("declare ")) continue; // a snippet that needs the reader's own objects
      const { stdout } = await run(process.execPath, ["--no-warnings", join(dir, `example-${i}.ts`)], { cwd: dir });
      outputs.push(stdout);
    }
    const all = outputs.join("");
    expect(all).toContain("null\nUNAVAILABLE docker instances.boot\n");
    expect(all).toContain("INVALID_ARGUMENT\n");
    expect(all).toContain('{"port":3000}\n256\n[ \'all-bytes.bin\', \'config.json\' ]\nNOT_FOUND\n');
  });
});
