import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PM2_HOME } from "../constants.js";
import { PM2_RESURRECT_SCRIPT } from "../save.js";

// PM2_RESURRECT_SCRIPT (sh/resurrect.sh) run with the host's /bin/sh. Its PM2_HOME is fixed, so
// the host can only show the "no dump" side; packages/pm2/test/daemon.test.ts resurrects real
// processes in a container.
const run = promisify(execFile);

describe("PM2_RESURRECT_SCRIPT (sh)", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vm-pm2-resurrect-"));
    // A stand-in pm2 that records that it was called.
    await writeFile(join(dir, "pm2"), `#!/bin/sh\necho called > "${dir}/called"\n`);
    await chmod(join(dir, "pm2"), 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("looks for the dump under DEFAULT_PM2_HOME", () => {
    expect(PM2_RESURRECT_SCRIPT).toContain(`  PM2_HOME='${DEFAULT_PM2_HOME}'\n`);
  });

  it.skipIf(existsSync(join(DEFAULT_PM2_HOME, "dump.pm2")))("without a dump it does not call pm2, prints nothing and exits 0", async () => {
    for (const path of [`${dir}:/usr/bin:/bin`, "/nonexistent"]) {
      const r = await run("/bin/sh", ["-c", PM2_RESURRECT_SCRIPT], { env: { PATH: path } });
      expect(r).toEqual({ stdout: "", stderr: "" });
    }
    expect(existsSync(join(dir, "called"))).toBe(false);
  });
});
