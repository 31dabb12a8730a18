import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import type { VMProvider } from "@vm/core";
import { createMorphVMProvider } from "@vm/provider-morph";
import { toShellLine } from "@vm/provider-morph/internal";
import type { BenchContext } from "../context.js";
import { EMULATOR_SESSION_LABEL } from "../context.js";
import type { CaseResult, Variant } from "../harness.js";
import { runCase } from "../harness.js";
import { pauseResumeExec, pauseResumeVariant } from "./pause-variant.js";

/** Morph results: cases plus what the report should say about them. */
export interface MorphSuiteResult {
  version: string | null;
  cases: CaseResult[];
  notes: string[];
}

const emulatorMain = join(import.meta.dirname, "..", "..", "..", "morph-emulator", "dist", "main.js");

/** Start the emulator in its own process (so only the provider's fetches are counted here) and wait for its URL. */
function startEmulator(ctx: BenchContext, apiKey: string): Promise<{ child: ChildProcess; apiUrl: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [emulatorMain], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", MORPH_API_KEY: apiKey, VM_BASE_IMAGE: ctx.image, MORPH_EMULATOR_SESSION: ctx.runId },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`the Morph emulator did not start in 30 s: ${out.slice(-400)}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const match = /listening on (\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, apiUrl: match[1] });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the Morph emulator exited (${code}): ${out.slice(-400)}`));
    });
  });
}

function stopEmulator(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

interface ExecResponse {
  stdout: string;
  stderr: string;
  exit_code: number;
}

/**
 * Morph provider overhead: provider calls through the emulator against raw `fetch` of the same
 * endpoints (same emulator, same instance), and the Morph requests each operation costs.
 *
 * @example
 * ```ts
 * const morph = await morphSuite(ctx);
 * ```
 */
export async function morphSuite(ctx: BenchContext): Promise<MorphSuiteResult> {
  const apiKey = randomBytes(16).toString("hex");
  ctx.log("morph: starting the emulator");
  const { child, apiUrl } = await startEmulator(ctx, apiKey);
  ctx.children.add(child);
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const raw = async <T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${apiUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as T;
  };
  // Morph runs exec "via SSH" (the elements joined, then a shell): a raw client sends the argv
  // as one quoted shell line too, as the provider does.
  const rawExec = (id: string, argv: string[]) => raw<ExecResponse>("POST", `/instance/${encodeURIComponent(id)}/exec`, { command: [toShellLine(argv)] });
  const provider: VMProvider = createMorphVMProvider({ apiKey, baseUrl: apiUrl });
  const cases: CaseResult[] = [];
  let instanceId: string | undefined;
  try {
    const snapshot = await provider.snapshots.fromImage("morphvm-minimal", { metadata: { bench: ctx.runId } });
    const instance = await provider.instances.boot(snapshot.id, { metadata: { bench: ctx.runId } });
    instanceId = instance.id;
    const id = instance.id;
    const reps = ctx.smoke ? 1 : 15;
    const warmup = ctx.smoke ? 0 : 2;
    const run = (def: { id: string; title: string; variants: Variant[]; baseline?: string }) =>
      runCase({ group: "morph", metric: "latency", warmup, reps, baseline: "raw fetch", ...def }, ctx.log);

    ctx.log("morph: exec, get, files");
    let ours: ExecResponse | undefined;
    let rawOut: ExecResponse | undefined;
    cases.push(
      await run({
        id: "morph.exec.true",
        title: "Morph exec `true`",
        variants: [
          { name: "ours: instances.exec", kind: "ours", run: async () => void (ours = await provider.instances.exec(id, ["true"])), verify: () => expectExit(ours) },
          { name: "raw fetch", kind: "baseline", run: async () => void (rawOut = await rawExec(id, ["true"])), verify: () => expectExit(rawOut) },
        ],
      }),
    );
    let got: { id: string } | undefined;
    let rawGot: { id: string } | undefined;
    cases.push(
      await run({
        id: "morph.get",
        title: "Morph instances.get",
        variants: [
          { name: "ours: instances.get", kind: "ours", run: async () => void (got = await provider.instances.get(id)), verify: () => expectId(got, id) },
          {
            name: "raw fetch",
            kind: "baseline",
            run: async () => void (rawGot = await raw<{ id: string }>("GET", `/instance/${encodeURIComponent(id)}`)),
            verify: () => expectId(rawGot, id),
          },
        ],
      }),
    );
    const content = randomBytes(1024);
    const hash = createHash("sha256").update(content).digest("hex");
    const b64 = content.toString("base64");
    const remoteHash = async (path: string) => {
      const r = await rawExec(id, ["sh", "-c", 'sha256sum "$1" && rm -f "$1"', "sh", path]);
      if (r.stdout.slice(0, 64) !== hash) throw new Error(`${path}: wrong content (${r.stdout.slice(0, 12)} ${r.stderr.slice(0, 100)})`);
    };
    await rawExec(id, ["mkdir", "-p", "/bench"]);
    cases.push(
      await run({
        id: "morph.write.1024",
        title: "Morph write 1 KiB",
        variants: [
          { name: "ours: writeFile", kind: "ours", run: () => provider.files.writeFile(id, "/bench/mw", content), verify: () => remoteHash("/bench/mw") },
          {
            name: "ours: writeFileAtomic",
            kind: "ours",
            run: () => provider.files.writeFileAtomic(id, "/bench/ma/d/f", content, { mode: "644", createDirs: true }),
            verify: () => remoteHash("/bench/ma/d/f"),
          },
          {
            name: "raw fetch",
            kind: "baseline",
            run: async () => expectExit(await rawExec(id, ["sh", "-c", 'printf %s "$1" | base64 -d > "$2"', "sh", b64, "/bench/mr"])),
            verify: () => remoteHash("/bench/mr"),
          },
        ],
      }),
    );
    await rawExec(id, ["sh", "-c", 'printf %s "$1" | base64 -d > /bench/msrc', "sh", b64]);
    let read: Uint8Array | undefined;
    let rawRead: Buffer | undefined;
    const expectRead = (bytes: Uint8Array | undefined) => {
      if (!bytes || createHash("sha256").update(bytes).digest("hex") !== hash) throw new Error("read the wrong bytes");
    };
    cases.push(
      await run({
        id: "morph.read.1024",
        title: "Morph read 1 KiB",
        variants: [
          { name: "ours: readFileBytes", kind: "ours", run: async () => void (read = await provider.files.readFileBytes(id, "/bench/msrc")), verify: () => expectRead(read) },
          {
            name: "raw fetch",
            kind: "baseline",
            run: async () => {
              const r = await rawExec(id, ["base64", "-w0", "/bench/msrc"]);
              expectExit(r);
              rawRead = Buffer.from(r.stdout, "base64");
            },
            verify: () => expectRead(rawRead),
          },
        ],
      }),
    );
    // Pause → resume → exec: the provider checks the status before each (a GET apiece), raw
    // fetch does not; pause without the snapshot Morph takes by default, as the provider asks.
    const instancePath = `/instance/${encodeURIComponent(id)}`;
    const rawPauseResume = pauseResumeVariant("raw fetch", "baseline", {
      pause: () => raw("POST", `${instancePath}/pause?snapshot=false`),
      resume: () => raw("POST", `${instancePath}/resume`),
      execTrue: async () => (await rawExec(id, ["true"])).exit_code,
      checkRunning: async () => {
        const { status } = await raw<{ status: string }>("GET", instancePath);
        if (status !== "ready") throw new Error(`instance ${status} after resume`);
      },
    });
    cases.push(await run({ id: "morph.pause-resume", title: "Morph pause → resume → exec `true`", variants: [pauseResumeExec(provider, id), rawPauseResume] }));
    // Large atomic writes over an API without stdin: how many requests the chunking costs.
    for (const size of ctx.smoke ? [] : [1048576, 8 * 1048576]) {
      const big = randomBytes(size);
      const bigHash = createHash("sha256").update(big).digest("hex");
      cases.push(
        await runCase(
          {
            id: `morph.atomic.${size}`,
            group: "morph",
            title: `Morph writeFileAtomic ${size / 1048576} MiB`,
            metric: "latency",
            warmup: 0,
            reps: 2,
            variants: [
              {
                name: "ours: writeFileAtomic",
                kind: "ours",
                run: () => provider.files.writeFileAtomic(id, "/bench/mbig", big, { createDirs: true }),
                verify: async () => {
                  const r = await rawExec(id, ["sh", "-c", 'sha256sum "$1" && rm -f "$1"', "sh", "/bench/mbig"]);
                  if (r.stdout.slice(0, 64) !== bigHash) throw new Error("wrong content");
                },
              },
            ],
          },
          ctx.log,
        ),
      );
    }
  } finally {
    if (instanceId) await provider.instances.terminate(instanceId).catch(() => undefined);
    await stopEmulator(child);
    ctx.children.delete(child);
  }
  return {
    version: provider.version,
    cases,
    notes: [`Morph: the emulator (apps/morph-emulator) ran in its own process on ${new URL(apiUrl).host}, its instances real containers labelled ${EMULATOR_SESSION_LABEL}=${ctx.runId}.`],
  };
}

function expectExit(r: ExecResponse | undefined): void {
  if (r?.exit_code !== 0) throw new Error(`exit code ${r?.exit_code}: ${r?.stderr.slice(0, 200) ?? ""}`);
}

function expectId(r: { id: string } | undefined, id: string): void {
  if (r?.id !== id) throw new Error(`got instance ${r?.id}, expected ${id}`);
}
