import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

// The *.sh.ts modules are generated from the .sh files next to them and committed, so a fresh
// clone builds without a generation step. This fails when one is out of date with its .sh.
it("every embedded shell module is up to date with its .sh (else run `pnpm embed:shell`)", () => {
  const generator = fileURLToPath(new URL("../../../scripts/embed-shell.mjs", import.meta.url));
  const result = spawnSync(process.execPath, [generator, "--check", fileURLToPath(new URL(".", import.meta.url))], { encoding: "utf8" });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
});
