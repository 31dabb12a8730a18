import { spawn } from "node:child_process";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamLogsArgv } from "../stream-logs.js";

// STREAM_LOGS (sh/stream-logs.sh) run with the host's /bin/sh and tail, as the VM runs it:
// lines appended after it started come out on stdout (out files) and stderr (err files), a file
// that appears later is followed too, and nothing written before the start comes out.
describe("STREAM_LOGS (sh)", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vm-pm2-stream-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("follows out files on stdout and err files on stderr from their end", async () => {
    const out = join(dir, "out 1.log");
    const err = join(dir, "err.log");
    const late = join(dir, "late.log");
    await writeFile(out, "old line\n");
    await writeFile(err, "");
    const [cmd, ...args] = streamLogsArgv([out, late], [err]);
    const child = spawn(cmd!, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    try {
      // Appended until it shows up: tail may not have opened the file yet (an event, not a sleep).
      const until = async (check: () => boolean, write: () => Promise<void>) => {
        for (let i = 0; i < 200 && !check(); i++) {
          await write();
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until(() => stdout.includes("new out"), () => appendFile(out, "new out\n"));
      await until(() => stderr.includes("new err"), () => appendFile(err, "new err\n"));
      await until(() => stdout.includes("late out"), () => appendFile(late, "late out\n"));
      expect(stdout).toContain("new out\n");
      expect(stdout).toContain("late out\n");
      expect(stdout).not.toContain("old line");
      expect(stdout).not.toContain("new err");
      expect(stderr).toContain("new err\n");
      expect(stderr).not.toContain("tail:");
    } finally {
      process.kill(-child.pid!, "SIGKILL");
    }
  });
});
