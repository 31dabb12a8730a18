import { randomBytes } from "node:crypto";
import type { BootedInstance } from "@vm/core";
import { isVMError } from "@vm/provider-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseImage, createTestProvider } from "./helpers.js";

const { provider, cleanup } = createTestProvider();
let vm: BootedInstance;
const MiB = 1024 * 1024;

beforeAll(async () => {
  vm = await provider.instances.boot(baseImage(), { metadata: { suite: "files-bounds" } });
});
afterAll(async () => {
  await cleanup();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "RESOLVED";
  } catch (err) {
    if (isVMError(err)) return err.code;
    throw err;
  }
}

describe("files: the archive API within a call's bound", () => {
  it("an archive upload aborted while the engine writes the file is ABORTED and leaves no partial file", async () => {
    const path = "/root/upload.bin";
    const controller = new AbortController();
    // The event: the engine has started to write the target (it is there and not empty). The
    // watcher runs in the instance before the upload starts (it says so with "$2"), so its
    // answer comes on an exec that is already attached, not after a new exec's start-up.
    const ready = "/root/upload.watching";
    const watcher = provider.instances.exec(vm.id, ["sh", "-c", ': > "$2"; while [ ! -s "$1" ]; do sleep 0.005; done; stat -c %s -- "$1"', "watch", path, ready], {
      timeoutMs: 120_000,
    });
    await provider.instances.exec(vm.id, ["sh", "-c", 'while [ ! -e "$1" ]; do sleep 0.01; done', "ready", ready], { timeoutMs: 120_000 });
    const write = provider.files.writeFile(vm.id, path, randomBytes(256 * MiB), { signal: controller.signal });
    const seen = await watcher;
    controller.abort(new Error("the caller gave up"));
    const code = await codeOf(write);
    const after = await provider.instances.exec(vm.id, ["sh", "-c", '[ -e "$1" ] && stat -c %s -- "$1" || echo absent', "check", path]);
    // 256 MiB take the engine seconds to write; the abort comes while it writes.
    expect(Number(seen.stdout.trim())).toBeLessThan(256 * MiB);
    expect(code).toBe("ABORTED");
    expect(after.stdout.trim()).toBe("absent");
    // Nothing else went wrong: the instance takes the next write.
    await provider.files.writeFile(vm.id, path, "ok", { timeoutMs: 60_000 });
    expect(await provider.files.readFile(vm.id, path)).toBe("ok");
  }, 300_000);
});
