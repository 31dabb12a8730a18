import { Buffer } from "node:buffer";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseImage, codeOf, createCountedDockerProvider, failureOf, fcSeed } from "./support.js";

// Property-based hostile input against ONE shared Docker instance. Every case is either used
// literally (round-trips byte for byte) or rejected with INVALID_ARGUMENT before any engine
// request (counted at the Dockerode modem). Every generator mixes in injection payloads that
// would create CANARY if anything ever ran one; the last test proves it does not exist.
// Each property stops at its first failing case (endOnFailure) and logs its seed to replay it
// (VM_FC_SEED): shrinking through a real VM took minutes and ended in a test timeout that hid
// the case (CI on b150fb0).

const CANARY = "/tmp/VM_RELIABILITY_CANARY";
const INJECTIONS = [
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `;touch ${CANARY}`,
  `|touch ${CANARY}`,
  `&& touch ${CANARY} &&`,
  `\ntouch ${CANARY}\n`,
  `'; touch ${CANARY}; '`,
  `"; touch ${CANARY}; "`,
  `$(IFS=_;c=touch_${CANARY};$c)`,
  `<(touch ${CANARY})`,
  "-rf",
  "--",
  "*",
  "~",
  "${HOME}",
  "%s%n%x",
  "\\",
  "\r\n",
  // Object.prototype names: a key "__proto__" assigned into a plain object sets its prototype.
  "__proto__",
  "constructor",
  "hasOwnProperty",
];
const FRAGMENTS = [...INJECTIONS, "a", " ", "'", '"', "\\", "\n", "\t", "$", "é", "😀", "-", "=", "\u0000", "\u00ff", "\u2028"];

/** Hostile text: injections, full unicode, control bytes (NUL included), and mixes of them. */
const hostileText = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary-ascii", maxLength: 24 }),
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 }).map((parts) => parts.join("")),
);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MODE = /^[0-7]{3,4}$/;
const PRINCIPAL_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;
const hasNul = (s: string) => s.includes("\u0000");

const counts = { argv: 0, env: 0, files: 0, modes: 0, owners: 0, metadata: 0, processes: 0, rejected: 0 };
// Modes and owners ride on file cases, so they are reported but not added twice.
const total = () => counts.argv + counts.env + counts.files + counts.metadata + counts.processes;

const { provider, calls, cleanup } = createCountedDockerProvider();
let vm = "";

/** Proves `work` rejects with INVALID_ARGUMENT and made no engine request. */
async function expectRejectedBeforeAnyCall(work: () => Promise<unknown>, what: string): Promise<void> {
  const before = calls();
  let code = "ok";
  try {
    await work();
  } catch (err) {
    code = codeOf(err);
  }
  expect(code, what).toBe("INVALID_ARGUMENT");
  expect(calls() - before, `${what}: engine requests made before the rejection`).toBe(0);
  counts.rejected++;
}

async function sh(script: string, ...args: string[]) {
  return provider.instances.exec(vm, ["bash", "-c", script, "sh", ...args], { timeoutMs: 60_000 });
}

beforeAll(async () => {
  const instance = await provider.instances.boot(baseImage(), { ttl_seconds: 900, ttl_action: "terminate", metadata: { suite: "reliability-hostile" } });
  vm = instance.id;
  const probe = await sh(`rm -f -- "$1"; test ! -e "$1"`, CANARY);
  expect(probe.exit_code).toBe(0);
});

afterAll(async () => {
  console.log(`[reliability] hostile input: ${total()} cases (${JSON.stringify(counts)})`);
  if (vm) await provider.instances.terminate(vm).catch(() => undefined);
  await cleanup();
});

// Each property makes a bounded number of real calls (hundreds of execs, PM2 starts for accepted
// names); on a loaded machine one took over the default 120 s (CI on aaca2c5, load average 30).
// The bound is a hang guard, not a speed claim.
const PROPERTY_TIMEOUT_MS = 600_000;

describe("hostile input (fast-check, one shared Docker instance)", { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it("argv: NUL-free arguments reach the command byte for byte; NUL is INVALID_ARGUMENT before any call", async () => {
    const argvCase = fc.array(hostileText, { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(fc.array(argvCase, { minLength: 10, maxLength: 40 }), async (batch) => {
        const good = batch.filter((args) => !args.some(hasNul));
        for (const args of batch.filter((a) => a.some(hasNul))) {
          await expectRejectedBeforeAnyCall(() => provider.instances.exec(vm, ["printf", "%s", ...args]), `argv ${JSON.stringify(args)}`);
        }
        if (good.length > 0) {
          // One exec for the whole batch: each argument comes back NUL-terminated.
          const flat = good.flat();
          const result = await provider.instances.exec(vm, ["printf", "%s\\0", ...flat]);
          expect(result.exit_code).toBe(0);
          expect(result.stdout).toBe(flat.map((a) => `${a}\u0000`).join(""));
        }
        counts.argv += batch.length;
      }),
      { numRuns: 20, endOnFailure: true, seed: fcSeed("argv") },
    );
  });

  it("env: identifier names with any NUL-free value arrive exactly (printenv); bad names/values are INVALID_ARGUMENT before any call", async () => {
    const name = fc.oneof(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/).map((n) => `VMT_${n}`),
      hostileText.filter((s) => !IDENT.test(s)),
      fc.constantFrom("A=B", "1A", "A B", "", "A-B", `X$(touch ${CANARY})`, "=", "A\nB"),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, hostileText), { minLength: 10, maxLength: 40 }), async (pairs) => {
        const env: Record<string, string> = {};
        for (const [key, value] of pairs) {
          if (IDENT.test(key) && !hasNul(value)) env[key] = value;
          else {
            await expectRejectedBeforeAnyCall(
              () => provider.instances.exec(vm, ["true"], { env: { VMT_OK: "x", [key]: value } }),
              `env name ${JSON.stringify(key)}`,
            );
          }
        }
        const names = Object.keys(env);
        if (names.length > 0) {
          const result = await provider.instances.exec(vm, ["printenv", "-0", "--", ...names], { env });
          expect(result.exit_code).toBe(0);
          expect(result.stdout).toBe(names.map((n) => `${env[n]}\u0000`).join(""));
        }
        counts.env += pairs.length;
      }),
      { numRuns: 20, endOnFailure: true, seed: fcSeed("env") },
    );
  });

  it("files: writeFileAtomic/writeFile then readFile(Bytes) round-trip at hostile paths, with hostile contents, modes and owners", async () => {
    const segment = hostileText.filter((s) => s !== "" && s !== "." && s !== ".." && !s.includes("/") && Buffer.byteLength(s) <= 200);
    const relPath = fc.array(fc.oneof(segment, fc.constantFrom(...INJECTIONS)), { minLength: 1, maxLength: 3 });
    const content = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      fc.constant(new Uint8Array(0)),
      fc.constant(""),
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.tuple(fc.integer({ min: 64 * 1024, max: 200 * 1024 }), fc.constantFrom("a", "é", `$(touch ${CANARY})`, "\r")).map(([n, c]) => c.repeat(Math.ceil(n / c.length))),
      fc.constantFrom(...INJECTIONS),
    );
    const mode = fc.option(fc.oneof(fc.stringMatching(/^[0-7]{3,4}$/), hostileText, fc.constantFrom("0o755", "u+x", "999", "7777 ", "-1")), { nil: undefined });
    const owner = fc.option(fc.oneof(fc.constantFrom("root", "0", "nobody", "65534", "daemon", "1", "12345"), hostileText), { nil: undefined });
    const fileCase = fc.record({ rel: relPath, content, mode, owner, inPlace: fc.boolean(), nulInPath: fc.boolean() });
    // A Map, not an object: "toString" is a hostile owner name, not a known user (`in` said it was).
    const UIDS = new Map<string, number>([
      ["root", 0],
      ["daemon", 1],
      ["nobody", 65534],
    ]);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fileCase, { minLength: 1, maxLength: 5 }), async (batch) => {
        run++;
        const checks: { path: string; expected: Buffer; mode?: string; uid?: number }[] = [];
        for (const [i, c] of batch.entries()) {
          const rel = c.nulInPath && i === 0 ? [...c.rel, "nul\u0000byte"] : c.rel;
          const path = `/tmp/fc/r${run}c${i}/${rel.join("/")}`;
          const modeOk = c.mode === undefined || MODE.test(c.mode);
          const ownerSyntaxOk = c.owner === undefined || /^\d+$/.test(c.owner) || (PRINCIPAL_NAME.test(c.owner) && c.owner.length <= 32);
          const pathOk = !hasNul(path) && Buffer.byteLength(path) <= 4096;
          const options = { createDirs: true, ...(c.mode !== undefined ? { mode: c.mode } : {}), ...(c.owner !== undefined ? { owner: c.owner } : {}) };
          counts.files++;
          if (c.mode !== undefined) counts.modes++;
          if (c.owner !== undefined) counts.owners++;
          if (!(modeOk && ownerSyntaxOk && pathOk)) {
            await expectRejectedBeforeAnyCall(() => provider.files.writeFileAtomic(vm, path, c.content, options), `write ${JSON.stringify(path)} ${JSON.stringify(options)}`);
            continue;
          }
          const known = c.owner === undefined || UIDS.has(c.owner) || /^\d+$/.test(c.owner);
          if (!known) {
            // Well-formed but unknown user: refused by the VM, and nothing is left behind.
            let code = "ok";
            await provider.files.writeFileAtomic(vm, path, c.content, options).catch((err: unknown) => {
              code = codeOf(err);
            });
            expect(code, `unknown owner ${JSON.stringify(c.owner)}`).toBe("INVALID_ARGUMENT");
            expect(await provider.files.fileExists(vm, path)).toBe(false);
            continue;
          }
          await provider.files.writeFileAtomic(vm, path, c.content, options);
          let expected = typeof c.content === "string" ? Buffer.from(c.content, "utf8") : Buffer.from(c.content);
          if (c.inPlace) {
            // Overwrite in place through the archive API with the content reversed.
            expected = Buffer.from(expected).reverse();
            await provider.files.writeFile(vm, path, new Uint8Array(expected));
          }
          if (i === 0) {
            // The provider's own read path on one case per batch; the rest are read in one exec below.
            const back = await provider.files.readFileBytes(vm, path);
            expect(Buffer.from(back).equals(expected), `content at ${JSON.stringify(path)}`).toBe(true);
            if (typeof c.content === "string" && !c.inPlace) expect(await provider.files.readFile(vm, path)).toBe(c.content);
          }
          // Docker's archive writeFile resets mode/owner to 0644/root (its README), so modes and
          // owners are checked only where writeFileAtomic was the last write.
          checks.push({
            path,
            expected,
            ...(c.mode !== undefined && !c.inPlace ? { mode: parseInt(c.mode, 8).toString(8) } : {}),
            ...(c.owner !== undefined && !c.inPlace ? { uid: UIDS.get(c.owner) ?? Number(c.owner) } : {}),
          });
        }
        if (checks.length > 0) {
          // One exec checks every mode and owner of the batch.
          // One exec reads back every file (base64) and checks every mode and owner of the batch.
          const stat = await sh(`for p in "$@"; do stat --printf '%a:%u:' -- "$p" && base64 -w0 -- "$p" && printf '\\n'; done`, ...checks.map((c) => c.path));
          expect(stat.exit_code, stat.stderr).toBe(0);
          const got = stat.stdout.split("\n").slice(0, -1);
          expect(got.length).toBe(checks.length);
          checks.forEach((c, i) => {
            const [m, u, b64] = (got[i] ?? "").split(":");
            expect(Buffer.from(b64 ?? "", "base64").equals(c.expected), `content at ${JSON.stringify(c.path)}`).toBe(true);
            if (c.mode !== undefined) expect(m, `mode of ${JSON.stringify(c.path)}`).toBe(c.mode);
            if (c.uid !== undefined) expect(Number(u), `owner of ${JSON.stringify(c.path)}`).toBe(c.uid);
          });
        }
      }),
      { numRuns: 10, endOnFailure: true, seed: fcSeed("files") },
    );
  });

  it("metadata: any flat NUL-free string map round-trips through boot/get/list; anything else is INVALID_ARGUMENT before any call", async () => {
    const bad = fc.oneof(
      fc.tuple(hostileText, hostileText).map(([k, v]): unknown => ({ [k]: `${v}\u0000` })),
      fc.tuple(hostileText, fc.oneof(fc.integer(), fc.constant(null), fc.constant({ nested: "x" }), fc.constant(["a"]))).map(([k, v]): unknown => ({ [k]: v })),
      fc.constantFrom<unknown>("str", 42, null, ["a", "b"]),
    );
    await fc.assert(
      fc.asyncProperty(bad, async (metadata) => {
        await expectRejectedBeforeAnyCall(
          () => provider.instances.boot(baseImage(), { metadata: metadata as Record<string, string> }),
          `metadata ${JSON.stringify(metadata)}`,
        );
        counts.metadata++;
      }),
      { numRuns: 150, endOnFailure: true, seed: fcSeed("metadata-bad") },
    );
    const good = fc
      .dictionary(
        hostileText.filter((k) => !hasNul(k) && k !== ""),
        hostileText.filter((v) => !hasNul(v)),
        { minKeys: 5, maxKeys: 25 },
      )
      // Always with Object.prototype names as own keys ("__proto__" was dropped on read-back).
      .map((m) => Object.fromEntries([...Object.entries(m), ["__proto__", "proto"], ["constructor", "ctor"]]) as Record<string, string>);
    await fc.assert(
      fc.asyncProperty(good, async (metadata) => {
        const instance = await provider.instances.boot(baseImage(), { metadata, ttl_seconds: 300, ttl_action: "terminate" });
        try {
          expect(instance.metadata).toEqual(metadata);
          expect((await provider.instances.get(instance.id)).metadata).toEqual(metadata);
          const [key, value] = Object.entries(metadata)[0] ?? ["", ""];
          const listed = await provider.instances.list({ metadata: { [key]: value } });
          expect(listed.map((i) => i.id)).toContain(instance.id);
          const listedAll = await provider.instances.list({ metadata });
          expect(listedAll.map((i) => i.id)).toEqual([instance.id]);
        } finally {
          await provider.instances.terminate(instance.id);
        }
        counts.metadata += Object.keys(metadata).length;
      }),
      { numRuns: 3, endOnFailure: true, seed: fcSeed("metadata-good") },
    );
  });

  it("process names: rejected with INVALID_ARGUMENT before any call, or the process runs under exactly that name", async () => {
    // Hostile names (rejections cost nothing); the rare accepted one starts a real PM2 process.
    const name = hostileText;
    let started = 0;
    await fc.assert(
      fc.asyncProperty(name, async (n) => {
        counts.processes++;
        const before = calls();
        // The message too: a CI run once had "name" fail INTERNAL, and the code alone did not say why.
        const { code, message } = await failureOf(() => provider.processes.start(vm, "/usr/bin/sleep", { name: n, args: ["600"] }));
        if (code !== "ok") {
          expect(code, `process name ${JSON.stringify(n)}: ${message}`).toBe("INVALID_ARGUMENT");
          expect(calls() - before, `process name ${JSON.stringify(n)}: engine requests before the rejection`).toBe(0);
          counts.rejected++;
          return;
        }
        started++;
        const list = await provider.processes.list(vm);
        expect(list.map((p) => p.name)).toContain(n);
        await provider.processes.delete(vm, n);
      }),
      { numRuns: 250, endOnFailure: true, seed: fcSeed("process-names") },
    );
    // The accepted side must not be vacuous: a fixed hostile-looking but legal name runs too.
    for (const legal of ["a.b-c"]) {
      await provider.processes.start(vm, "/usr/bin/sleep", { name: legal, args: ["600"] });
      expect((await provider.processes.list(vm)).map((p) => p.name)).toContain(legal);
      await provider.processes.delete(vm, legal);
      started++;
    }
    expect(started).toBeGreaterThan(0);
    await provider.processes.stopAll(vm).catch(() => undefined);
  });

  it("the canary: no case ever ran an injected command, and the suite tried at least 1,000 cases", async () => {
    const result = await sh(`test -e "$1" && echo PRESENT || echo absent`, CANARY);
    expect(result.stdout.trim()).toBe("absent");
    // Also nowhere else in the VM's /tmp, and not on this machine.
    const found = await sh(`find / -xdev -name 'VM_RELIABILITY_CANARY' -not -path '/tmp/fc/*' -print 2>/dev/null | head -5`);
    expect(found.stdout).toBe("");
    expect(total()).toBeGreaterThanOrEqual(1000);
  });
});
