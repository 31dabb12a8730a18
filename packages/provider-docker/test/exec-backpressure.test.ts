import type { BootedInstance } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseImage, createTestProvider } from "./helpers.js";

// execStream's backpressure must hold for any bytes, not only valid UTF-8. A consumer that
// stops reading must stop the command (its writes block) after a bounded amount of output
// beyond what it read: what the provider buffered is at most what the command wrote less what
// was read. 0xFF is invalid UTF-8: every byte decodes to U+FFFD (3 bytes in UTF-8), the case
// where counting bytes in and decoded text out drove the counter negative by 2 bytes per byte
// read, so after reading a while the socket was never paused again.

const { provider, cleanup } = createTestProvider();
let vm: BootedInstance;

const TOTAL_BYTES = 200 * 1024 * 1024;
// What the consumer reads before it stops: with the old counter, 2 × this of credit, more
// than the rest of the output.
const READ_FIRST_BYTES = 80 * 1024 * 1024;
// The provider's queue (4 MiB) plus the pipe, the engine's copy buffers and the sockets in
// between: far below this. Without backpressure the command writes all 200 MiB.
const BOUND_BYTES = 24 * 1024 * 1024;
// Consecutive probes that must see the writer asleep in write() with no new byte written.
const STABLE_PROBES = 3;

beforeAll(async () => {
  vm = await provider.instances.boot(baseImage(), { metadata: { suite: "exec-backpressure" } });
});
afterAll(async () => {
  await cleanup();
});

/**
 * The `tr` writer's bytes written so far and whether it sleeps in a pipe write (undefined when
 * it is gone). Read from /proc with a second exec: the engine, not the client, says it.
 */
async function writer(): Promise<{ written: number; blocked: boolean } | undefined> {
  const script = [
    "p=$(pgrep -x tr) || exit 3",
    'w=$(sed -n "s/^wchar: //p" /proc/$p/io)',
    'st=$(cut -d" " -f3 /proc/$p/stat)',
    'wc=$(cat /proc/$p/wchan 2>/dev/null)',
    'sc=$(cut -d" " -f1 /proc/$p/syscall 2>/dev/null)',
    'echo "$w $st $wc $sc"',
  ].join("; ");
  const r = await provider.instances.exec(vm.id, ["sh", "-c", script]);
  if (r.exit_code === 3) return undefined;
  const [written, state, wchan, syscall] = r.stdout.trim().split(" ");
  // wchan names the pipe write on every kernel that exposes it; the write syscall number
  // (x86_64: 1, arm64: 64) covers kernels that hide wchan.
  const inWrite = /pipe/.test(wchan ?? "") || syscall === "1" || syscall === "64";
  return { written: Number(written), blocked: state === "S" && inWrite };
}

describe("execStream backpressure", () => {
  it("a consumer that reads 80 MiB of 0xFF and stops blocks the command a bounded amount later; reading on gets every byte", async () => {
    const stream = provider.instances.execStream(vm.id, ["sh", "-c", `head -c ${TOTAL_BYTES} /dev/zero | tr '\\0' '\\377'`]);
    const it = stream[Symbol.asyncIterator]();
    // One U+FFFD per byte: characters read are bytes read.
    let chars = 0;
    while (chars < READ_FIRST_BYTES) {
      const next = await it.next();
      if (next.done || next.value.type !== "stdout") throw new Error(`the stream ended or sent ${JSON.stringify(next.value)} after ${chars} bytes`);
      if (!/^\uFFFD+$/.test(next.value.data)) throw new Error("a byte other than U+FFFD arrived");
      chars += next.value.data.length;
    }
    const read = chars;
    const heapBefore = process.memoryUsage();

    // The consumer reads nothing now. Wait for the event "the command is blocked": the writer
    // asleep in write() with the same byte count over consecutive probes. A writer past the
    // bound, or one that finished, is the failure.
    let stable = 0;
    let last = -1;
    let seen: { written: number; blocked: boolean } | undefined;
    while (stable < STABLE_PROBES) {
      seen = await writer();
      expect(seen, "the command finished: nothing stopped it while the consumer did not read").toBeDefined();
      expect(seen!.written - read, `the command wrote ${seen!.written - read} bytes more than the consumer read`).toBeLessThanOrEqual(BOUND_BYTES);
      stable = seen!.blocked && seen!.written === last ? stable + 1 : 0;
      last = seen!.written;
    }
    const heapBlocked = process.memoryUsage();

    // Reading on resumes the command: every byte arrives, as U+FFFD, then exit 0.
    let exit: number | undefined;
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      if (next.value.type === "stdout") {
        chars += next.value.data.length;
        if (!/^\uFFFD+$/.test(next.value.data)) throw new Error("a byte other than U+FFFD arrived");
      } else if (next.value.type === "exit") exit = next.value.exit_code;
    }
    expect(chars).toBe(TOTAL_BYTES);
    expect(exit).toBe(0);
    console.log(
      `[exec-backpressure] writer blocked ${last - read} bytes past the ${read} read (bound ${BOUND_BYTES}); ` +
        `from the stop to the block: rss +${Math.round((heapBlocked.rss - heapBefore.rss) / 2 ** 20)} MiB, heapUsed +${Math.round((heapBlocked.heapUsed - heapBefore.heapUsed) / 2 ** 20)} MiB, ` +
        `arrayBuffers +${Math.round((heapBlocked.arrayBuffers - heapBefore.arrayBuffers) / 2 ** 20)} MiB while blocked`,
    );
  }, 300_000);
});
