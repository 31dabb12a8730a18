import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, createScratch, runFileScript, scriptFailure } from "../../test-support/helpers.js";
import { FILE_READ_SCRIPT } from "../scripts.js";

// FILE_READ_SCRIPT (sh/file-read.sh) run with the host's bash. Reading itself is covered through
// createExecFileService with a local exec (exec-file-service.test.ts and others); this pins the
// script's own argument checks.
let scratch: Scratch;
beforeAll(async () => {
  scratch = await createScratch("vm-read-");
});
afterAll(async () => {
  await scratch.dispose();
});

const read = (...args: string[]) => runFileScript(FILE_READ_SCRIPT, ...args);

describe("FILE_READ_SCRIPT (bash)", () => {
  it("prints the header and the chunk in base64", async () => {
    const p = join(await scratch.fresh(), "a.txt");
    await writeFile(p, "hello world");
    const r = read(p, "6", "3");
    expect(r.status).toBe(0);
    const [header, chunk] = r.stdout.split("\n");
    expect(header).toMatch(/^f 11 \d+:\d+:\d+\.\d{9}:\d+\.\d{9}$/);
    expect(Buffer.from(chunk!, "base64").toString()).toBe("wor");
  });

  it("an offset or count that is not a number, empty included, is EINVAL", async () => {
    const p = join(await scratch.fresh(), "a.txt");
    await writeFile(p, "hello world");
    for (const [off, count] of [["", "3"], ["0", ""], ["-1", "3"], ["0", "0x10"]] as const) expect(scriptFailure(read(p, off, count))).toBe("EINVAL");
  });
});
