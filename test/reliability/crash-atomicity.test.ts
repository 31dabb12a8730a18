import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import Dockerode from "dockerode";
import { isVMError } from "@vm/provider-kit";
import { atomicWriteArgv } from "@vm/provider-kit/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_LABEL, baseImage, codeOf, createCountedDockerProvider, fcSeed } from "./support.js";

// writeFileAtomic interrupted at random points, against ONE shared Docker instance.
// Half the interruptions abort the client (AbortSignal on the same exec the Docker provider
// uses for writeFileAtomic: atomicWriteArgv + stdin), half kill the writer script inside the
// VM from a second exec. After each one the target holds the old or the new bytes, nothing
// else. A SIGKILLed writer (in-VM `pkill -KILL`, or the provider's process-group kill on abort)
// cannot remove its temp file; the next write that gets past its start removes it (provider-kit's
// sweep of dead writers' temp files), so temp files never pile up and none is left at the end.

const DIR = "/tmp/atomic";
const TARGET = `${DIR}/target.bin`;
const INTERRUPTIONS = 100;

const { provider, cleanup } = createCountedDockerProvider();
let vm = "";
const seed = fcSeed("crash-atomicity");
let state = seed >>> 0;
/** Deterministic from the seed (xorshift32), so a run can be replayed with VM_FC_SEED. */
function random(): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 0x100000000;
}

function contentFor(round: number): Buffer {
  // 256 KiB - 1 MiB, every round different from the one before (the head holds the round).
  const size = 256 * 1024 + Math.floor(random() * 768 * 1024);
  const buf = Buffer.alloc(size, round % 251);
  buf.write(`round-${String(round).padStart(9, "0")}`, 0, "latin1");
  return buf;
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const stats = { clientAborts: 0, inVmKills: 0, finishedAnyway: 0, oldKept: 0, newWritten: 0, orphansLeft: 0, orphansSwept: 0, maxTempsAtOnce: 0 };

beforeAll(async () => {
  const instance = await provider.instances.boot(baseImage(), { ttl_seconds: 900, ttl_action: "terminate", metadata: { suite: "reliability-atomic" } });
  vm = instance.id;
});

afterAll(async () => {
  console.log(`[reliability] crash-atomicity: ${JSON.stringify(stats)}`);
  if (vm) await provider.instances.terminate(vm).catch(() => undefined);
  await cleanup();
});

/** The target's sha256 and the temp files (staging directories) in `dir` (left in place), in one exec. */
async function inspectTarget(dir = DIR): Promise<{ sha: string; temps: string[] }> {
  const r = await provider.instances.exec(vm, [
    "bash",
    "-c",
    'sha256sum -- "$1" | cut -d" " -f1; find "$2" -mindepth 1 -name "*.vm-tmp.*" -print',
    "inspect",
    TARGET,
    dir,
  ]);
  expect(r.exit_code, r.stderr).toBe(0);
  const [sha = "", ...temps] = r.stdout.split("\n").filter(Boolean);
  return { sha, temps };
}

async function leftovers(dir: string): Promise<string[]> {
  const r = await provider.instances.exec(vm, ["find", dir, "-mindepth", "1", "-name", "*.vm-tmp.*"]);
  return r.stdout.split("\n").filter(Boolean);
}

describe("crash-atomicity of writeFileAtomic (one shared Docker instance)", () => {
  it(`${INTERRUPTIONS} interrupted writes leave the old or the new content, byte for byte; temp files of killed writers are removed by the next write, none is left`, async () => {
    let current = contentFor(0);
    await provider.files.writeFileAtomic(vm, TARGET, current, { createDirs: true });
    // A one-exec writer's temp file names its pid namespace and pid, so the sweep can judge it.
    const tempName = /^\/tmp\/atomic\/\.target\.bin\.vm-tmp\.[0-9a-f]{16}-[0-9]+-[0-9]+$/;
    let previousTemps: string[] = [];
    for (let round = 1; round <= INTERRUPTIONS; round++) {
      const next = contentFor(round);
      const delayMs = Math.floor(random() * 120);
      let outcome: string;
      let sigkill = true; // the provider's abort kills the process group with SIGKILL
      if (round % 2 === 0) {
        stats.clientAborts++;
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), delayMs);
        outcome = await provider.instances
          .exec(vm, atomicWriteArgv(TARGET, {}, "docker"), { stdin: next, signal: controller.signal })
          .then((r) => (r.exit_code === 0 ? "ok" : `exit ${r.exit_code}`), codeOf);
        clearTimeout(timer);
        expect(["ok", "ABORTED"], `round ${round} (client abort after ${delayMs} ms)`).toContain(outcome);
      } else {
        stats.inVmKills++;
        const signal = round % 4 === 1 ? "TERM" : "KILL";
        sigkill = signal === "KILL";
        const write = provider.files.writeFileAtomic(vm, TARGET, next).then(() => "ok", codeOf);
        await new Promise((r) => setTimeout(r, delayMs));
        await provider.instances.exec(vm, ["pkill", `-${signal}`, "-f", "^bash -c .* vm-files atomic"]);
        outcome = await write;
        expect(outcome === "ok" || outcome === "INTERNAL" || outcome === "ABORTED", `round ${round} (kill -${signal} after ${delayMs} ms): ${outcome}`).toBe(true);
      }
      const { sha: got, temps } = await inspectTarget();
      for (const t of temps) expect(t, `round ${round}: temp file of an unexpected shape`).toMatch(tempName);
      const fresh = temps.filter((t) => !previousTemps.includes(t));
      stats.orphansSwept += previousTemps.filter((t) => !temps.includes(t)).length;
      stats.maxTempsAtOnce = Math.max(stats.maxTempsAtOnce, temps.length);
      if (got === sha(next)) {
        stats.newWritten++;
        if (outcome !== "ok") stats.finishedAnyway++;
        current = next;
        // This writer got as far as its rename, so it ran the sweep first: every orphan of an
        // earlier killed writer is gone, and its own temp file was renamed. A kill that came
        // after the rename and before the writer removed its (now empty) staging directory
        // leaves that directory, and only that one: the next write sweeps it (a SIGTERM too,
        // rarely: seen once in 25 SIGTERM rounds).
        expect(temps.filter((t) => previousTemps.includes(t)), `round ${round}: a completed write removes earlier orphans`).toEqual([]);
        expect(fresh.length, `round ${round}: a completed write leaves no temp file (${outcome})`).toBeLessThanOrEqual(outcome === "ok" ? 0 : 1);
      } else {
        expect(got, `round ${round}: target is neither the old nor the new content`).toBe(sha(current));
        stats.oldKept++;
        // Killed before the rename: at most its own temp file is new (none after SIGTERM, whose
        // EXIT trap removes it); older orphans stay only if it was killed before its sweep.
        expect(fresh.length, `round ${round}: new temp files ${JSON.stringify(fresh)}`).toBeLessThanOrEqual(sigkill ? 1 : 0);
      }
      stats.orphansLeft += fresh.length;
      previousTemps = temps;
    }
    // A final clean write still works, and removes the orphans of the last killed writers:
    // the directory holds no temp file.
    const last = contentFor(INTERRUPTIONS + 1);
    await provider.files.writeFileAtomic(vm, TARGET, last);
    expect(await inspectTarget()).toEqual({ sha: sha(last), temps: [] });
    stats.orphansSwept += previousTemps.length;
    expect(stats.oldKept + stats.newWritten).toBe(INTERRUPTIONS);
    // How many interruptions landed before the rename depends on the machine's speed, so the
    // split (oldKept / newWritten) is logged, not asserted.
    expect(await leftovers(DIR)).toEqual([]);
  }, 300_000);

  it("20 concurrent writers on one path leave exactly one complete winner and no temp file", async () => {
    const path = "/tmp/atomic-contended/contended.bin";
    await provider.files.createDirectory(vm, "/tmp/atomic-contended", true);
    const writers = Array.from({ length: 20 }, (_, i) => {
      const buf = Buffer.alloc(256 * 1024 + i * 1024, 65 + i);
      buf.write(`writer-${i}`, 0, "latin1");
      return buf;
    });
    const results = await Promise.allSettled(writers.map((w) => provider.files.writeFileAtomic(vm, path, w)));
    // Every writer succeeds: none loses its temp file to another writer's sweep of dead writers' files.
    expect(results.flatMap((r) => (r.status === "rejected" ? [isVMError(r.reason) ? r.reason.code : String(r.reason)] : []))).toEqual([]);
    const final = Buffer.from(await provider.files.readFileBytes(vm, path));
    const winners = writers.filter((w) => w.equals(final));
    expect(winners.length, "the file is exactly one writer's complete content").toBe(1);
    expect(await leftovers("/tmp/atomic-contended")).toEqual([]);
  });
  it("client SIGKILLed mid-stdin upload of writeFileAtomic: the target is the old content, never a prefix of the new", async () => {
    // When the client dies, the engine closes the exec's stdin: the script sees EOF, which
    // must not pass for "upload complete". A real Node process that imports the built
    // provider writes 150 MB and is SIGKILLed once its temp file is seen growing.
    const dir = "/tmp/atomic-client-killed";
    const path = `${dir}/target.bin`;
    await provider.files.writeFileAtomic(vm, path, "OLD", { createDirs: true });
    const providerUrl = pathToFileURL(createRequire(import.meta.url).resolve("@vm/provider-docker")).href;
    const labels = (await new Dockerode().getContainer(vm).inspect()).Config.Labels ?? {};
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const [url, labels, id, path] = process.argv.slice(1);
const { createDockerVMProvider } = await import(url);
const provider = createDockerVMProvider({ labels: JSON.parse(labels) });
await provider.files.writeFileAtomic(id, path, Buffer.alloc(150 * 1024 * 1024, 78));
console.log("finished");`,
        providerUrl,
        JSON.stringify({ [RUN_LABEL]: labels[RUN_LABEL] ?? "" }),
        vm,
        path,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = once(child, "exit");
    let childOut = "";
    child.stdout.on("data", (d: Buffer) => (childOut += d.toString()));
    let childGone = false;
    void exited.then(() => (childGone = true));
    // The event: the temp file is there and has grown between two looks (the upload is under
    // way), polled in the VM's directory until then or until the child is gone.
    const sizes = async () => {
      // (The temp file is "data" in the write's staging directory, named `*.vm-tmp.*`.)
      const r = await provider.instances.exec(vm, ["find", dir, "-mindepth", "2", "-path", "*.vm-tmp.*/data", "-printf", "%s\n"]);
      return r.stdout.split("\n").filter(Boolean).map(Number);
    };
    let last = -1;
    let growing = false;
    while (!growing && !childGone) {
      const [size] = await sizes();
      growing = size !== undefined && last >= 0 && size > last;
      last = size ?? -1;
    }
    expect(growing, `the child's upload was never seen in progress (child said ${JSON.stringify(childOut)})`).toBe(true);
    child.kill("SIGKILL");
    await exited;
    // The writer script in the VM finishes on its own after the EOF: wait for it to be gone.
    const writers = () => provider.instances.exec(vm, ["pgrep", "-f", "^bash -c .* vm-files atomic"]).then((r) => r.stdout.trim());
    while ((await writers()) !== "") {
      /* poll until no writer script runs */
    }
    const got = Buffer.from(await provider.files.readFileBytes(vm, path));
    expect(got.length <= 3 ? got.toString() : `${got.length} bytes of the new content`).toBe("OLD");
    // The short temp file was removed by the script itself (it saw the short count and failed).
    expect(await leftovers(dir)).toEqual([]);
  }, 300_000);

  it("a writer SIGKILLed mid-write (temp file seen in place) leaves only its temp file; the next write removes it", async () => {
    // Deterministic where the 100 random rounds are not: on an idle machine most of them land
    // after the rename and leave no orphan at all.
    const dir = "/tmp/atomic-orphan";
    const path = `${dir}/target.bin`;
    await provider.files.writeFileAtomic(vm, path, "old", { createDirs: true });
    // Big enough that the write is still going when a poll (one exec, slow on a loaded machine)
    // looks: with 64 MiB a loaded CI run finished the write between two polls.
    const write = provider.files.writeFileAtomic(vm, path, Buffer.alloc(256 * 1024 * 1024, 3)).then(() => "ok", codeOf);
    let temps: string[] = [];
    let writeSettled = false;
    void write.finally(() => (writeSettled = true));
    // Until the temp file is seen or the write is over (no count of polls: each is slow on a loaded machine).
    while (temps.length === 0 && !writeSettled) temps = await leftovers(dir);
    expect(temps.length, "the writer's temp file never appeared").toBe(1);
    await provider.instances.exec(vm, ["pkill", "-KILL", "-f", "^bash -c .* vm-files atomic"]);
    // The killed script reports no classified error: INTERNAL (its exit code 137 is its own,
    // the instance still runs).
    expect(await write).toBe("INTERNAL");
    expect(await leftovers(dir)).toEqual(temps);
    expect(await provider.files.readFile(vm, path)).toBe("old");
    await provider.files.writeFileAtomic(vm, path, "new");
    expect(await provider.files.readFile(vm, path)).toBe("new");
    expect(await leftovers(dir)).toEqual([]);
  });
});
