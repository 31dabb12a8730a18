import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VM_ASSUMPTIONS } from "./assumptions.js";
import { ALL_CASES } from "./cases/index.js";

// The README's test file and reporter config, copied into a project outside this repository
// whose node_modules hold this package's build (as an install would), with the host provider
// (test-support) as "your provider": they must type-check and run as written.
const run = promisify(execFile);
const packageDir = join(import.meta.dirname, "..");
const repoRoot = join(packageDir, "..", "..");
let readme: string;
let blocks: string[];
let project: string;

async function link(target: string, path: string): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await symlink(target, path, "dir");
}

beforeAll(async () => {
  readme = await readFile(join(packageDir, "README.md"), "utf8");
  blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  project = await mkdtemp(join(tmpdir(), "vmc-readme-"));
  await link(packageDir, join(project, "node_modules", "@vm", "conformance"));
  for (const dep of ["vitest", "testcontainers", "@vm/core"]) await link(join(packageDir, "node_modules", dep), join(project, "node_modules", dep));
  await link(join(repoRoot, "node_modules", "@types", "node"), join(project, "node_modules", "@types", "node"));
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "my-vm-provider", private: true, type: "module" }));
  await mkdir(join(project, "src"));
  await mkdir(join(project, "test"));
  await writeFile(
    join(project, "src", "index.ts"),
    `export { createHostProvider as createMyProvider } from ${JSON.stringify(join(packageDir, "src", "test-support", "host-provider.js"))};\n`,
  );
  await writeFile(join(project, "test", "conformance.test.ts"), blocks[0] ?? "");
  await writeFile(join(project, "vitest.config.ts"), blocks[1] ?? "");
  await Promise.all(blocks.slice(2).map((code, i) => writeFile(join(project, `example-${i}.ts`), code)));
});

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe("README", () => {
  it("the test file uses no vitest inject and the examples type-check against the build", async () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks[0]).toContain("describeProviderConformance(");
    expect(blocks[0]).not.toMatch(/\binject\b/);
    expect(blocks[1]).toContain("createConformanceReporter(");
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({ extends: join(repoRoot, "tsconfig.base.json"), compilerOptions: { noEmit: true }, include: ["src", "test", "*.ts"] }),
    );
    const result = await run(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", project]).then(
      () => "",
      (err: { stdout?: string; message?: string }) => err.stdout ?? err.message ?? "tsc failed",
    );
    expect(result).toBe("");
  }, 120_000);

  it("the test file runs as written, and the reporter writes where VM_CONFORMANCE_REPORT_DIR says", async () => {
    const out = join(project, "out");
    const env: NodeJS.ProcessEnv = { ...process.env, VM_CONFORMANCE_SNAPSHOT: "host", VM_CONFORMANCE_REPORT_DIR: out };
    for (const key of Object.keys(env)) if (key.startsWith("VITEST") || key.startsWith("TINYPOOL")) delete env[key];
    const vitest = join(packageDir, "node_modules", "vitest", "vitest.mjs");
    const cases = ["exec.exit-code", "exec.abort", "files.text-roundtrip", "cleanup.nothing-left"];
    // Test names are `<id> [LEVEL] <title>`: the space keeps exec.abort from matching exec.abort-*.
    const filter = cases.map((id) => `${id.replace(/\./g, "\\.")} `).join("|");
    const result = await run(process.execPath, [vitest, "run", "--root", project, "-t", filter], { cwd: project, env, timeout: 120_000 }).then(
      ({ stdout }) => ({ ok: true, stdout }),
      (err: { stdout?: string; stderr?: string }) => ({ ok: false, stdout: `${err.stdout ?? ""}\n${err.stderr ?? ""}` }),
    );
    expect(result.ok, result.stdout).toBe(true);
    // The reporter's one line per provider (skips: the host provider's missing capabilities).
    expect(result.stdout).toMatch(new RegExp(`conformance my-vm: 4 pass, 0 fail, \\d+ skip \\(reasons and failures: ${join(out, "matrix.md").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)`));
    const results = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as { providers: Record<string, { results: Record<string, { state: string }> }> };
    expect(Object.fromEntries(cases.map((id) => [id, results.providers["my-vm"]?.results[id]?.state]))).toEqual(Object.fromEntries(cases.map((id) => [id, "pass"])));
    expect(await readFile(join(out, "junit.xml"), "utf8")).toContain('<testsuite name="my-vm"');
    const matrix = await readFile(join(out, "matrix.md"), "utf8");
    for (const a of VM_ASSUMPTIONS) expect(matrix).toContain(`- **${a.id}**: `);
  }, 180_000);

  it("lists every assumption the code declares, and says what snapshotId and imageId mean without images", () => {
    for (const a of VM_ASSUMPTIONS) expect(readme).toContain(`| \`${a.id}\` |`);
    expect(readme).toMatch(/### `snapshotId` and `imageId` for a provider without images/);
  });

  it("states the number of cases the suite has", () => {
    const must = ALL_CASES.filter((c) => c.level === "MUST").length;
    const should = ALL_CASES.filter((c) => c.level === "SHOULD").length;
    expect(readme).toContain(`${ALL_CASES.length} cases (${must} MUST, ${should} SHOULD) plus the final leak check`);
  });
});
