import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ExecFunction } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Scratch, codeOf, createScratch } from "../test-support/helpers.js";
import { createLocalExec } from "../test-support/local-exec.js";
import { createExecFileService } from "./exec-file-service.js";

// A write that fails part-way (here: the file size limit, RLIMIT_FSIZE, which stops a writer
// the way a full disk does, after it created the file and wrote some bytes) leaves no partial
// new file and no temp file; writeFileAtomic and copyFile keep the old content of an existing
// target. Real bash, cat and cp on the host, under `ulimit -f`.

const ID = "local";
const LIMIT_KIB = 8;
const big = "x".repeat(64 * 1024);
let scratch: Scratch;

beforeAll(async () => {
  scratch = await createScratch("vm-failed-write-");
});
afterAll(async () => {
  await scratch.dispose();
});

/** The local exec, with every command under a file size limit of LIMIT_KIB KiB. */
function limitedExec(): ExecFunction {
  const local = createLocalExec();
  return (instanceId, argv, options) => local.exec(instanceId, ["bash", "-c", `ulimit -f ${LIMIT_KIB}; exec "$@"`, "limited", ...argv], options);
}

for (const stdin of [true, false]) {
  describe(`a write stopped part-way (stdin: ${stdin})`, () => {
    const files = createExecFileService({ provider: "local", exec: limitedExec(), stdin });

    it("writeFile, writeFileAtomic and copyFile fail, leave no partial or temp file, and keep what was there", async () => {
      const dir = await scratch.fresh();
      await writeFile(join(dir, "kept"), "old");
      await writeFile(join(dir, "big-source"), big);
      const before = ["big-source", "kept"];
      const calls = {
        "writeFile to a new file": () => files.writeFile(ID, join(dir, "new-plain"), big),
        "writeFileAtomic to a new file": () => files.writeFileAtomic(ID, join(dir, "new-atomic"), big),
        "writeFileAtomic over an existing file": () => files.writeFileAtomic(ID, join(dir, "kept"), big),
        "copyFile to a new file": () => files.copyFile(ID, join(dir, "big-source"), join(dir, "new-copy")),
        "copyFile over an existing file": () => files.copyFile(ID, join(dir, "big-source"), join(dir, "kept")),
      };
      for (const [name, call] of Object.entries(calls)) {
        expect(await codeOf(call()), name).not.toBe("RESOLVED");
        expect((await readdir(dir)).sort(), name).toEqual(before);
        expect(await readFile(join(dir, "kept"), "utf8"), name).toBe("old");
      }
      // Under the limit the same calls work: the limit, not the calls, made them fail.
      await files.writeFile(ID, join(dir, "small"), "fits");
      await files.copyFile(ID, join(dir, "small"), join(dir, "kept"));
      expect(await readFile(join(dir, "kept"), "utf8")).toBe("fits");
    });
  });
}
