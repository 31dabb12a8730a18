#!/usr/bin/env node
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import type { VMProvider } from "@vm/core";
import { createDockerVMProvider } from "@vm/provider-docker";
import type { BenchContext } from "./context.js";
import { createContext } from "./context.js";
import { installRequestCounter } from "./counting.js";
import type { CaseResult } from "./harness.js";
import { updateDocsPage } from "./docs.js";
import { describeMachine } from "./machine.js";
import { renderMarkdown, renderResultsChart } from "./report.js";
import type { BenchResults } from "./results.js";
import { judgeTargets } from "./results.js";
import { bootSuite } from "./suites/boot.js";
import { execSuite } from "./suites/exec.js";
import type { SeedLimit } from "./suites/files.js";
import { filesSuite, probeSeedLimit } from "./suites/files.js";
import { forkSuite } from "./suites/fork.js";
import { reachSuite } from "./suites/reach.js";
import type { ScaleResult } from "./suites/scale.js";
import { scaleSuite } from "./suites/scale.js";
import { openTarget } from "./target.js";

const GROUPS = ["exec", "files", "boot", "fork", "reach", "morph", "scale"] as const;
type Group = (typeof GROUPS)[number];

/** Options of one bench run. */
export interface BenchOptions {
  smoke: boolean;
  /** Where latest.json / latest.md / latest.svg go. */
  outDir: string;
  only?: readonly Group[];
  /** A page with report markers to refresh (the full run refreshes docs/benchmarks.md). */
  docsPage?: string;
  command?: string;
  log?: (line: string) => void;
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Run the benchmark suite and write its JSON, Markdown and SVG. Resolves with the results;
 * `unexpectedFailures` lists anything broken (the CLI exits non-zero on those).
 *
 * @example
 * ```ts
 * const results = await runBench({ smoke: true, outDir: "/tmp/bench" });
 * ```
 */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const started = new Date();
  installRequestCounter();
  const ctx: BenchContext = createContext({ smoke: options.smoke, ...(options.log ? { log: options.log } : {}) });
  const wanted = (g: Group) => !options.only || options.only.includes(g);
  const log = ctx.log;
  const cases: CaseResult[] = [];
  const notes: string[] = [];
  const unexpected: string[] = [];
  let seedLimit: SeedLimit | undefined;
  let scale: ScaleResult | undefined;
  let provider: VMProvider | undefined;
  let snapshotId: string | undefined;
  let morphVersion: string | null = null;

  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: removing everything this run created (${ctx.runId}) …`);
    // The emulator cleans up its own containers on SIGTERM; the sweep below catches the rest.
    for (const child of ctx.children) child.kill("SIGTERM");
    // The suites keep running until exit: sweep twice so what they create meanwhile goes too.
    void ctx
      .sweep()
      .catch(() => 0)
      .then(() => new Promise((r) => setTimeout(r, 500)))
      .then(() => ctx.sweep())
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  const guard = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      unexpected.push(`${what}: ${errText(err)}`);
      log(`${what} broke: ${errText(err)}`);
    }
  };

  try {
    const machine = await describeMachine(ctx.docker);
    await ctx.docker.getImage(ctx.image).inspect();
    log(`bench ${options.smoke ? "smoke" : "full"} run ${ctx.runId} on ${ctx.image}`);

    await guard("docker provider setup", async () => {
      // The provider gets the bench's own client, so its requests are counted like the baselines'.
      provider = createDockerVMProvider({ docker: ctx.docker, labels: ctx.labels });
      snapshotId = (await provider.snapshots.fromImage(ctx.image, { metadata: { bench: ctx.runId } })).id;
    });
    if (!snapshotId) provider = undefined;

    if (wanted("exec") || wanted("files")) {
      await guard("exec/files", async () => {
        const target = await openTarget(ctx, provider, snapshotId);
        try {
          if (wanted("exec")) {
            log("exec");
            cases.push(...(await execSuite(ctx, target)));
          }
          if (wanted("files")) {
            cases.push(...(await filesSuite(ctx, target)));
            // Bisection costs ten execs: the full run only (smoke sees the failure at 1 MiB anyway).
            if (!ctx.smoke) {
              log("files: probing the design document's approach's size limit");
              seedLimit = await probeSeedLimit(ctx, target);
            }
          }
        } finally {
          await target.dispose();
        }
      });
    }
    if (wanted("boot")) {
      log("boot");
      await guard("boot", async () => void cases.push(await bootSuite(ctx, provider, snapshotId)));
    }
    if (wanted("fork")) {
      if (provider && snapshotId) {
        const p = provider;
        await guard("fork", async () => {
          const parent = await p.instances.boot(snapshotId!, { metadata: { bench: ctx.runId } });
          try {
            cases.push(...(await forkSuite(ctx, p, parent.id)));
          } finally {
            await p.instances.terminate(parent.id);
          }
        });
      } else notes.push("fork: not measured (no Docker provider).");
    }
    if (wanted("reach")) {
      if (provider && snapshotId) {
        log("reach");
        await guard("reach", async () => {
          const target = await openTarget(ctx, provider, snapshotId);
          try {
            cases.push(...(await reachSuite(ctx, target)));
          } finally {
            await target.dispose();
          }
        });
      } else notes.push("reach: not measured (no Docker provider).");
    }
    if (wanted("morph")) {
      await guard("morph", async () => {
        const { morphSuite } = await import("./suites/morph.js");
        const morph = await morphSuite(ctx);
        morphVersion = morph.version;
        cases.push(...morph.cases);
        notes.push(...morph.notes);
      });
    }
    if (wanted("scale")) {
      await guard("scale", async () => void (scale = await scaleSuite(ctx, provider, snapshotId)));
    }

    for (const c of cases) {
      for (const v of c.variants) {
        if (v.status !== "ok" && !v.expectedFailure) unexpected.push(`${c.title} / ${v.name}: ${v.error ?? "failed"}`);
      }
    }
    if (scale) {
      for (const v of scale.variants) if (v.errors > 0) notes.push(`scale: ${v.name} had ${v.errors} errors (${v.errorSamples.join("; ")})`);
    }
    if (!options.smoke) notes.push("Repetitions are cut to keep a full run near ten minutes on 2 cores: 256 MiB files run 3 rounds and no warm-up (64 MiB: 1 + 6), fork(16) runs once, scale runs 2 rounds per side; with so few samples p95 is close to the maximum.");

    const finished = new Date();
    const results: BenchResults = {
      schema: 1,
      runId: ctx.runId,
      mode: options.smoke ? "smoke" : "full",
      command: options.command ?? (options.smoke ? "pnpm bench:smoke" : "pnpm bench"),
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationS: (finished.getTime() - started.getTime()) / 1000,
      machine,
      image: ctx.image,
      providers: { docker: provider?.version ?? null, morph: morphVersion },
      cases,
      ...(seedLimit ? { seedLimit } : {}),
      ...(scale ? { scale } : {}),
      targets: judgeTargets(cases, scale),
      unexpectedFailures: unexpected,
      notes,
    };
    await mkdir(options.outDir, { recursive: true });
    await writeFile(join(options.outDir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(options.outDir, "latest.svg"), renderResultsChart(results));
    await writeFile(join(options.outDir, "latest.md"), renderMarkdown(results, "latest.svg"));
    log(`wrote ${join(options.outDir, "latest.{json,md,svg}")} in ${results.durationS.toFixed(0)} s`);
    if (options.docsPage) {
      const chart = relative(dirname(options.docsPage), join(options.outDir, "latest.svg"));
      if (await updateDocsPage(options.docsPage, renderMarkdown(results, chart))) log(`updated ${options.docsPage}`);
    }
    return results;
  } finally {
    const removed = await ctx.sweep().catch(() => 0);
    if (removed > 0) log(`removed ${removed} leftover container(s)/image(s) of ${ctx.runId}`);
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  }
}

/**
 * Re-render latest.md / latest.svg (and the docs page) from a results JSON, without measuring again.
 *
 * @example
 * ```ts
 * await renderFromJson("apps/bench/results/latest.json", "docs/benchmarks.md");
 * ```
 */
export async function renderFromJson(jsonPath: string, docsPage?: string): Promise<void> {
  const results = JSON.parse(await readFile(jsonPath, "utf8")) as BenchResults;
  const dir = dirname(jsonPath);
  await writeFile(join(dir, "latest.svg"), renderResultsChart(results));
  await writeFile(join(dir, "latest.md"), renderMarkdown(results, "latest.svg"));
  if (docsPage) await updateDocsPage(docsPage, renderMarkdown(results, relative(dirname(docsPage), join(dir, "latest.svg"))));
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: "boolean", default: false },
      out: { type: "string" },
      only: { type: "string" },
      render: { type: "string" },
    },
  });
  if (values.render) {
    await renderFromJson(values.render, join(import.meta.dirname, "..", "..", "..", "docs", "benchmarks.md"));
    return;
  }
  const smoke = values.smoke === true;
  const only = values.only?.split(",").map((g) => g.trim()) as Group[] | undefined;
  for (const g of only ?? []) if (!GROUPS.includes(g)) throw new Error(`--only: unknown group "${g}" (known: ${GROUPS.join(", ")})`);
  const outDir = values.out ?? join(import.meta.dirname, "..", "results", smoke ? "smoke" : "");
  // Only a complete full run into the default place is "the latest report" the docs show.
  const docsPage = !smoke && !only && values.out === undefined ? join(import.meta.dirname, "..", "..", "..", "docs", "benchmarks.md") : undefined;
  const results = await runBench({ smoke, outDir, ...(only ? { only } : {}), ...(docsPage ? { docsPage } : {}) });
  for (const t of results.targets) process.stdout.write(`${t.status.padEnd(12)} ${t.target}: ${t.measured}\n`);
  if (results.unexpectedFailures.length > 0) {
    process.stderr.write(`\n${results.unexpectedFailures.length} unexpected failure(s):\n${results.unexpectedFailures.map((f) => `  - ${f}`).join("\n")}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  cli().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
