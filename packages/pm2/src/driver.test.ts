import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EXEC_TAG_VAR } from "@vm/provider-kit/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIVER_SCRIPT, PM2_MISSING_MARKER, chunk, driverArgv } from "./driver.js";

// The driver is plain sh: run it with the host's /bin/sh against a stand-in `pm2` that records
// its argv, to prove values arrive as data. (The integration tests run it against real pm2.)
const run = promisify(execFile);

describe("driver script", () => {
  let dir = "";
  let bin = "";
  let home = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vm-pm2-driver-"));
    bin = join(dir, "bin");
    home = join(dir, "home");
    await run("mkdir", ["-p", bin, home]);
    await writeFile(join(bin, "pm2"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >> "$PM2_HOME/calls"\n[ "$1" = jlist ] && printf '[]'\nexit 0\n`);
    await chmod(join(bin, "pm2"), 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const driver = (path: string, ...args: string[]) => {
    const [cmd, ...rest] = driverArgv(home, args[0]!, ...args.slice(1));
    // PM2_HOME in the env is wrong on purpose: the argument wins.
    return run(cmd!, rest, { env: { PATH: `${path}:/usr/bin:/bin`, PM2_HOME: join(dir, "wrong") } }).then(
      (r) => ({ ...r, code: 0 }),
      (e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }),
    );
  };

  it("writes the ecosystem file byte for byte from base64 chunks, then deletes (replace) and starts it", async () => {
    const json = JSON.stringify({ apps: [{ name: "web", script: "/a.js", env: { X: "$(touch /tmp/nope) `id` ; rm -rf /" } }] });
    const chunks = chunk(Buffer.from(json).toString("base64"), 8);
    expect(chunks.length).toBeGreaterThan(3);
    const result = await driver(bin, "start", "web", "replace", ...chunks);
    expect(result).toMatchObject({ code: 0, stdout: "[]" });
    expect(await readFile(join(home, "apps", "web.json"), "utf8")).toBe(json);
    expect((await readFile(join(home, "calls"), "utf8")).split("\n")).toEqual(["delete", "web", "start", join(home, "apps", "web.json"), "jlist", ""]);
  });

  it("says pm2 is missing with exit 127 and the marker", async () => {
    const result = await driver(join(dir, "empty"), "jlist");
    expect(result.code).toBe(127);
    expect(result.stderr).toContain(PM2_MISSING_MARKER);
  });

  it("save is a no-op without a running daemon; unknown operations fail", async () => {
    expect(await driver(bin, "save")).toMatchObject({ code: 0, stdout: "" });
    expect((await driver(bin, "frobnicate")).code).toBe(2);
  });

  it("logs prints each file's tail base64-encoded, empty for a missing file", async () => {
    await writeFile(join(dir, "out.log"), "1\n2\n3\n");
    const result = await driver(bin, "logs", "2", join(dir, "out.log"), join(dir, "missing.log"), "100");
    const [out, err] = result.stdout.split("\n");
    expect(Buffer.from(out!, "base64").toString()).toBe("2\n3\n");
    expect(err).toBe("");
  });

  it("logs cuts each tail to its newest $4 bytes in the VM", async () => {
    await writeFile(join(dir, "out.log"), "1111\n2222\n3333\n");
    await writeFile(join(dir, "err.log"), "e\n");
    const result = await driver(bin, "logs", "3", join(dir, "out.log"), join(dir, "err.log"), "7");
    const [out, err] = result.stdout.split("\n");
    expect(Buffer.from(out!, "base64").toString()).toBe("2\n3333\n");
    expect(Buffer.from(err!, "base64").toString()).toBe("e\n");
  });

  it("drops the exec's kill tag (EXEC_TAG_VAR) before it may start a daemon", () => {
    expect(DRIVER_SCRIPT).toContain(`\nunset ${EXEC_TAG_VAR}\n`);
  });

  it("is one fixed script: user values only ever follow it as arguments", () => {
    const argv = driverArgv("/h", "start", "x", "new", "$(id)");
    expect(argv.slice(0, 4)).toEqual(["/bin/sh", "-c", DRIVER_SCRIPT, "vm-pm2"]);
    expect(argv.slice(4)).toEqual(["/h", "start", "x", "new", "$(id)"]);
  });
});
