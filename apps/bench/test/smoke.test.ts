import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, describe, expect, inject, it } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
  }
}

const app = join(import.meta.dirname, "..");

interface Results {
  mode: string;
  runId: string;
  cases: { id: string; variants: { name: string; status: string; expectedFailure: boolean; stats: { n: number; median: number }; calls?: { apiCalls: number } }[] }[];
  targets: { id: string; status: string }[];
  scale?: { variants: { errors: number }[] };
  unexpectedFailures: string[];
}

// The bench is not a test: this only proves `pnpm bench:smoke` still runs end to end and cleans up.
describe("bench smoke mode", () => {
  let out = "";
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("runs every group, checks answers, writes JSON/Markdown/SVG and leaves no container behind", async () => {
    out = await mkdtemp(join(tmpdir(), "bench-smoke-"));
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(app, "dist", "main.js"), "--smoke", "--out", out],
        // On timeout the bench gets SIGTERM and removes what it made before exiting.
        { env: { ...process.env, VM_BASE_IMAGE: inject("baseImage") }, maxBuffer: 1 << 24, timeout: 270_000 },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    expect(code, stderr).toBe(0);
    const results = JSON.parse(await readFile(join(out, "latest.json"), "utf8")) as Results;
    expect(results.mode).toBe("smoke");
    expect(results.unexpectedFailures).toEqual([]);
    const ids = results.cases.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(["exec.true", "exec.print-1mib", "files.write.1024", "files.read.1048576", "boot.first-exec", "fork.1", "reach.http-latency", "reach.http-connect", "reach.http-throughput", "reach.pause-resume"]));
    const execTrue = results.cases.find((c) => c.id === "exec.true")!;
    const ours = execTrue.variants.find((v) => v.name.startsWith("ours"))!;
    expect(ours.status).toBe("ok");
    expect(ours.stats.median).toBeGreaterThan(0);
    // Reach: every side answered right (the in-VM baseline too) and is self-timed, one sample per request.
    for (const id of ["reach.http-latency", "reach.http-throughput", "reach.pause-resume"]) {
      const variants = results.cases.find((c) => c.id === id)!.variants;
      expect(variants.map((v) => v.status), id).toEqual(["ok", "ok"]);
    }
    expect(results.cases.find((c) => c.id === "reach.http-latency")!.variants[0]!.stats.n).toBeGreaterThan(1);
    // The design document's approach fails past the argv limit, and that is recorded as a finding.
    const seed = results.cases.find((c) => c.id === "files.write.1048576")!.variants.find((v) => v.name.startsWith("design doc"))!;
    expect(seed).toMatchObject({ status: "failed", expectedFailure: true });
    const atomic = results.cases.find((c) => c.id === "files.write.1024")!.variants.find((v) => v.name === "ours: writeFileAtomic")!;
    expect(atomic.calls?.apiCalls).toBeGreaterThan(0);
    expect(results.targets.map((t) => t.id)).toContain("atomic-calls");
    expect(results.scale?.variants.every((v) => v.errors === 0)).toBe(true);
    const md = await readFile(join(out, "latest.md"), "utf8");
    expect(md).toContain("## Machine");
    expect(md).toContain("## Targets");
    const svg = await readFile(join(out, "latest.svg"), "utf8");
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    const left = await new Docker().listContainers({ all: true, filters: { label: [`vm-bench.run=${results.runId}`] } });
    expect(left).toEqual([]);
    const images = await new Docker().listImages({ filters: { label: [`vm-bench.run=${results.runId}`] } });
    expect(images).toEqual([]);
  }, 300_000);
});
