import type { CaseResult, VariantResult } from "./harness.js";
import type { MachineInfo } from "./machine.js";
import type { ScaleResult } from "./suites/scale.js";
import type { SeedLimit } from "./suites/files.js";

/** A target from issue 8, judged on this run. */
export interface TargetResult {
  id: string;
  target: string;
  measured: string;
  status: "met" | "missed" | "not measured";
}

/** Everything one run produced: the JSON file is exactly this. */
export interface BenchResults {
  schema: 1;
  runId: string;
  mode: "full" | "smoke";
  command: string;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: MachineInfo;
  image: string;
  providers: { docker: string | null; morph: string | null };
  cases: CaseResult[];
  seedLimit?: SeedLimit;
  scale?: ScaleResult;
  targets: TargetResult[];
  /** Failures that are not findings: a broken provider or harness. */
  unexpectedFailures: string[];
  notes: string[];
}

/** The variant of a case by name prefix. */
export function variantOf(c: CaseResult | undefined, prefix: string): VariantResult | undefined {
  return c?.variants.find((v) => v.name.startsWith(prefix));
}

const x = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "n/a" : `${n.toFixed(2)}x`);

function ratioTarget(id: string, target: string, v: VariantResult | undefined, ok: (r: number) => boolean): TargetResult {
  if (!v || v.ratio === undefined) return { id, target, measured: v?.error ? `failed: ${v.error}` : "not measured", status: "not measured" };
  const spread = v.pairedRatio ? ` (paired IQR ${v.pairedRatio.q1.toFixed(2)}-${v.pairedRatio.q3.toFixed(2)}, p95 ratio ${x(v.ratioP95)})` : "";
  return { id, target, measured: `${x(v.ratio)} median${spread}`, status: ok(v.ratio) ? "met" : "missed" };
}

/**
 * Judge the issue's targets for the Docker provider.
 *
 * @example
 * ```ts
 * const targets = judgeTargets(results.cases, results.scale);
 * ```
 */
export function judgeTargets(cases: CaseResult[], scale: ScaleResult | undefined): TargetResult[] {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const out: TargetResult[] = [];
  for (const [id, title] of [
    ["exec.true", "exec `true`"],
    ["exec.print-1mib", "exec printing 1 MiB"],
  ] as const) {
    out.push(ratioTarget(`exec-overhead:${id}`, `${title}: ≤ 1.10x raw dockerode (median)`, variantOf(byId.get(id), "ours"), (r) => r <= 1.1));
  }
  const big = 64 * 1048576;
  for (const [dir, name] of [
    ["write", "ours: writeFile"],
    ["write", "ours: writeFileAtomic"],
    ["read", "ours: readFileBytes"],
  ] as const) {
    out.push(
      ratioTarget(`files-64mib:${name.slice(6)}`, `${name.slice(6)} 64 MiB: ≥ 0.8x docker cp throughput`, variantOf(byId.get(`files.${dir}.${big}`), name), (r) => r >= 0.8),
    );
  }
  out.push(ratioTarget("boot", "boot to first exec: ≤ 1.15x raw dockerode", variantOf(byId.get("boot.first-exec"), "ours"), (r) => r <= 1.15));
  const atomic = cases
    .filter((c) => c.id.startsWith("files.write."))
    .map((c) => ({ bytes: c.bytes ?? 0, v: variantOf(c, "ours: writeFileAtomic") }))
    .filter((a) => a.v?.calls !== undefined);
  if (atomic.length === 0) out.push({ id: "atomic-calls", target: "writeFileAtomic = 1 API call at any size", measured: "not measured", status: "not measured" });
  else {
    const parts = atomic.map((a) => `${a.bytes >= 1048576 ? `${a.bytes / 1048576} MiB` : `${a.bytes / 1024} KiB`}: ${a.v!.calls!.apiCalls} call (${a.v!.calls!.requests} HTTP requests)`);
    out.push({
      id: "atomic-calls",
      target: "writeFileAtomic = 1 API call at any size",
      measured: parts.join("; "),
      status: atomic.every((a) => a.v!.calls!.apiCalls === 1) ? "met" : "missed",
    });
  }
  const ours = scale?.variants.find((v) => v.kind === "ours");
  out.push(
    ours
      ? {
          id: "scale-errors",
          target: `zero errors at scale (${scale!.execs} concurrent execs over ${scale!.instances} instances)`,
          measured: `${ours.errors} errors over ${scale!.rounds} rounds`,
          status: ours.errors === 0 ? "met" : "missed",
        }
      : { id: "scale-errors", target: "zero errors at scale", measured: "not measured", status: "not measured" },
  );
  return out;
}
