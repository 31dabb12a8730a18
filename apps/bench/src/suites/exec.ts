import { randomUUID } from "node:crypto";
import type { ExecResult } from "@vm/core";
import type { BenchContext } from "../context.js";
import { dockerCli, rawExec } from "../docker-raw.js";
import type { CaseResult, Variant } from "../harness.js";
import { runCase } from "../harness.js";
import type { Target } from "../target.js";

const ONE_MIB = 1048576;
// The shape of the kill-able wrapper @vm/provider-docker put around every exec when this was
// written (record the pid for a later kill, run the command, remove the pid file): used only to
// profile what such a wrapper costs on the raw path.
const PIDFILE_WRAPPER = '{ echo $$ > "$1"; } 2>/dev/null; f=$1; shift; env -- "$@"; r=$?; rm -f "$f"; exit $r';
// 16 bytes a line, 65536 lines: a known 1 MiB the check can compare byte for byte.
const PRINT_1MIB = ["sh", "-c", `yes abcdefghijklmno | head -c ${ONE_MIB}`];
const EXPECTED_1MIB = "abcdefghijklmno\n".repeat(ONE_MIB / 16);

function check(stdout: string, exitCode: number, expected: string): void {
  if (exitCode !== 0) throw new Error(`exit code ${exitCode}`);
  if (stdout !== expected) throw new Error(`wrong stdout: ${stdout.length} bytes, expected ${expected.length}`);
}

function execCase(ctx: BenchContext, target: Target, id: string, title: string, argv: string[], expected: string): Promise<CaseResult> {
  const variants: Variant[] = [];
  const { provider, instanceId, containerId } = target;
  if (provider && instanceId) {
    let last: ExecResult | undefined;
    variants.push({
      name: "ours: instances.exec",
      kind: "ours",
      run: async () => {
        last = await provider.instances.exec(instanceId, argv);
      },
      verify: () => check(last?.stdout ?? "", last?.exit_code ?? -1, expected),
    });
  }
  let raw: { stdout: Buffer; exitCode: number } | undefined;
  variants.push({
    name: "raw dockerode exec",
    kind: "baseline",
    run: async () => {
      raw = await rawExec(ctx.docker, containerId, argv);
    },
    verify: () => check(raw?.stdout.toString("utf8") ?? "", raw?.exitCode ?? -1, expected),
  });
  if (!ctx.smoke) {
    // Profiling, not a baseline a user would pick: the raw engine path with the provider's extra
    // work added back one piece at a time, to show where an overhead comes from.
    let hijacked: { stdout: Buffer; exitCode: number } | undefined;
    variants.push({
      name: "profile: raw exec, hijacked start",
      kind: "baseline",
      run: async () => {
        hijacked = await rawExec(ctx.docker, containerId, argv, { hijack: true });
      },
      verify: () => check(hijacked?.stdout.toString("utf8") ?? "", hijacked?.exitCode ?? -1, expected),
    });
    let wrapped: { stdout: Buffer; exitCode: number } | undefined;
    variants.push({
      name: "profile: raw exec, hijacked, sh pid-file wrapper",
      kind: "baseline",
      run: async () => {
        wrapped = await rawExec(ctx.docker, containerId, ["sh", "-c", PIDFILE_WRAPPER, "vm-exec", `/tmp/.bench-${randomUUID()}.pid`, ...argv], { hijack: true });
      },
      verify: () => check(wrapped?.stdout.toString("utf8") ?? "", wrapped?.exitCode ?? -1, expected),
    });
  }
  let cli: Buffer | undefined;
  variants.push({
    name: "docker exec CLI",
    kind: "baseline",
    counted: false,
    run: async () => {
      cli = await dockerCli(["exec", containerId, ...argv]);
    },
    verify: () => check(cli?.toString("utf8") ?? "", 0, expected),
  });
  return runCase(
    {
      id,
      group: "exec",
      title,
      metric: "latency",
      baseline: "raw dockerode exec",
      warmup: ctx.smoke ? 0 : 3,
      reps: ctx.smoke ? 2 : 25,
      variants,
    },
    ctx.log,
  );
}

/**
 * Exec latency: `true`, and a command printing 1 MiB, against raw dockerode and the docker CLI.
 *
 * @example
 * ```ts
 * const cases = await execSuite(ctx, target);
 * ```
 */
export async function execSuite(ctx: BenchContext, target: Target): Promise<CaseResult[]> {
  return [
    await execCase(ctx, target, "exec.true", "exec `true`", ["true"], ""),
    await execCase(ctx, target, "exec.print-1mib", "exec printing 1 MiB", PRINT_1MIB, EXPECTED_1MIB),
  ];
}
