// logs() on a process whose last lines are larger than the cap: the newest whole lines within
// maxLogBytes, never the exec's output limit (issue 13, item 10). Real PM2 in a container.
import { DEFAULT_MAX_LOG_BYTES, createPM2ProcessService } from "@vm/pm2";
import { describe, expect, it } from "vitest";
import { dockerExec } from "./docker-exec.js";
import { SUITE_TIMEOUT, useContainer, waitFor } from "./helpers.js";

const LINE_BYTES = 640 * 1024;
// 110 lines of 640 KiB (about 69 MiB), then "done": the last 100 lines are about 62 MiB.
const BIG_JS = `
const chunk = "x".repeat(${LINE_BYTES});
let i = 0;
function next() {
  while (i < 110) {
    const ok = process.stdout.write("line " + i + " " + chunk + "\\n");
    i++;
    if (!ok) return process.stdout.once("drain", next);
  }
  process.stdout.write("done\\n");
  setInterval(() => {}, 1 << 30);
}
next();
`;
const WIDE_JS = `process.stdout.write("é".repeat(5000) + "\\n"); setInterval(() => {}, 1 << 30);\n`;

describe("logs(): byte cap", () => {
  const s = useContainer();

  it("returns the newest whole lines within maxLogBytes (default 4 MiB) when the last 100 lines hold 62 MiB", async () => {
    const write = await dockerExec(s.id, ["sh", "-c", 'printf "%s" "$1" > /app/big.js', "w", BIG_JS]);
    expect(write.exit_code).toBe(0);
    await s.processes.start(s.id, "node", { name: "big", script: "/app/big.js" });
    await waitFor(() => s.processes.logs(s.id, "big", 1), (l) => l.out === "done");
    const logs = await s.processes.logs(s.id, "big", 100);
    expect(Buffer.byteLength(logs.out)).toBeLessThanOrEqual(DEFAULT_MAX_LOG_BYTES);
    const lines = logs.out.split("\n");
    expect(lines.at(-1)).toBe("done");
    const numbers = lines.slice(0, -1).map((line) => {
      expect(line).toMatch(new RegExp(`^line \\d+ x{${LINE_BYTES}}$`));
      return Number(line.split(" ")[1]);
    });
    // Consecutive and the newest: 109, 108, … back to the oldest line that still fits whole.
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, k) => 110 - numbers.length + k));
    const oneMore = LINE_BYTES + `line ${numbers[0]! - 1} `.length + 1;
    expect(Buffer.byteLength(logs.out) + oneMore).toBeGreaterThan(DEFAULT_MAX_LOG_BYTES);
    expect(logs.err).toBe("");
  }, SUITE_TIMEOUT);

  it("cuts a single line longer than a configured cap to its newest bytes, on a character boundary", async () => {
    const write = await dockerExec(s.id, ["sh", "-c", 'printf "%s" "$1" > /app/wide.js', "w", WIDE_JS]);
    expect(write.exit_code).toBe(0);
    const processes = createPM2ProcessService(dockerExec, { provider: "docker", timeoutMs: 300_000, maxLogBytes: 1001 });
    await processes.start(s.id, "node", { name: "wide", script: "/app/wide.js" });
    const logs = await waitFor(() => processes.logs(s.id, "wide", 5), (l) => l.out.length > 0);
    // 1001 bytes from the end cut one "é" (2 bytes) in half: that half is dropped.
    expect(logs.out).toBe("é".repeat(500));
  }, SUITE_TIMEOUT);
});
