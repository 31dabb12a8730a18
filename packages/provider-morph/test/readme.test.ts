import { execFile } from "node:child_process";
import { readFile, writeFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TEST_API_KEY, startInProcessEmulator, type TestEmulator } from "./support/emulator.js";

// The README's example runs as written (it is plain JavaScript) against the emulator.
const run = promisify(execFile);
const packageDir = join(import.meta.dirname, "..");
let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startInProcessEmulator();
});

afterAll(async () => {
  await emulator?.stop();
});

it("the README example runs against the emulator", async () => {
  const readme = await readFile(join(packageDir, "README.md"), "utf8");
  const example = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  // Written inside the package so `@vm/provider-morph` resolves to this package's dist.
  const file = join(packageDir, `readme-example-${process.pid}.tmp.mjs`);
  await writeFile(file, example!);
  try {
    const { stdout } = await run(process.execPath, [file], {
      cwd: packageDir,
      env: { ...process.env, MORPH_API_KEY: TEST_API_KEY, MORPH_BASE_URL: emulator.apiUrl },
      timeout: 240_000,
    });
    expect(stdout).toContain("Hello World\n");
    expect(stdout).toContain('{"port":3000}');
    expect(stdout).toContain("type: 'exit', exit_code: 0");
  } finally {
    await rm(file, { force: true });
  }
});
