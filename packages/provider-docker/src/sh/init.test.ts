import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { READY_MARKER, buildInitScript } from "../scripts.js";

// The init script (sh/init.sh) run with the host's /bin/sh, as the container's entrypoint runs it:
// sh -c buildInitScript(resurrect) vm-init <ttlSeconds or "">.
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vm-docker-init-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("init script (sh)", () => {
  it("puts the resurrect snippet in verbatim, once", () => {
    const snippet = "echo '$& $1 $$ `x` __VM_RESURRECT__'";
    const script = buildInitScript(snippet);
    expect(script).toContain(`( ${snippet}\n) >/dev/null 2>&1 </dev/null || true\necho ${READY_MARKER}\n`);
    expect(script.split(snippet)).toHaveLength(2);
  });

  it("runs the snippet quietly before the marker, survives a failing one, and exits at a TTL of 0", () => {
    const ran = join(dir, "ran");
    const r = spawnSync("sh", ["-c", buildInitScript(`echo noise; echo oops >&2; : > "$VM_T"; exit 3`), "vm-init", "0"], {
      encoding: "utf8",
      env: { ...process.env, VM_T: ran },
    });
    expect(r.stdout).toBe(`${READY_MARKER}\n`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(existsSync(ran)).toBe(true);
  });

  it("exits 0 by itself once a TTL passes", async () => {
    const child = spawn("sh", ["-c", buildInitScript(":"), "vm-init", "1"], { stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(0);
    expect(stdout).toBe(`${READY_MARKER}\n`);
  });

  it("without a TTL it stays after the marker (until the container is stopped)", async () => {
    const child = spawn("sh", ["-c", buildInitScript(":"), "vm-init", ""], { stdio: ["ignore", "pipe", "ignore"], detached: true });
    const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    try {
      await new Promise<void>((resolve) => child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes(READY_MARKER) && resolve()));
      expect(child.exitCode).toBeNull();
    } finally {
      // Its own process group: the sleep goes with it.
      process.kill(-child.pid!, "SIGKILL");
    }
    expect(await exited).toBe("SIGKILL");
  });
});
