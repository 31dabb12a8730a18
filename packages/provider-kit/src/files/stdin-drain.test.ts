import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, createScratch } from "../test-support/helpers.js";
import { atomicWriteArgv } from "./write-argv.js";

const MiB = 1024 * 1024;
let scratch: Scratch;

beforeAll(async () => {
  scratch = await createScratch("vm-drain-");
});
afterAll(async () => {
  await scratch.dispose();
});

// The one-exec write from stdin run with real bash, fed by a writer still sending (as Docker's
// hijacked exec connection is): a write that fails must still read its input to the end, or
// the writer meets a broken pipe (EPIPE, ECONNRESET on Docker) instead of the answer, and the
// reason (a full disk: RESOURCE_EXHAUSTED) is lost with it.
describe("a failed write from stdin", () => {
  it("reads the rest of its input, so the writer gets the exit code and the reason, not a broken pipe", async () => {
    const dir = await scratch.fresh();
    const argv = atomicWriteArgv(join(dir, "missing", "f.bin"), {}, "test", 4 * MiB);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
    let pipeError: string | undefined;
    child.stdin.on("error", (err: NodeJS.ErrnoException) => (pipeError = err.code ?? String(err)));
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.end(Buffer.alloc(4 * MiB, 1));
    expect(await closed).toBe(3);
    expect(stderr).toContain("@@vm-files-error ENOENT");
    expect(pipeError).toBeUndefined();
  });
});
