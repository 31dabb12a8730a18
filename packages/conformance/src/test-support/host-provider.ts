import { spawn } from "node:child_process";
import type { BootedInstance, ExecOptions, ExecResult, ProviderCapabilities, VMInstance, VMProvider } from "@vm/core";
import { createExecFileService, matchesInstanceFilters, VMError } from "@vm/provider-kit";

/**
 * A provider without images, containers or snapshots, for the suite's own tests: an
 * "instance" is a name, and its commands run as real local processes on this host, so exec
 * and files (the kit's exec-based file service) see one filesystem, the host's. It is what a
 * newcomer's non-Docker provider looks like to the suite, and the host is where what a run
 * leaves behind would stay.
 */
export const HOST_CAPABILITIES: ProviderCapabilities = {
  fork: false,
  ttl: false,
  snapshots: false,
  fromImage: false,
  images: false,
  stdin: true,
  execUser: false,
  execStream: false,
  stop: false,
  pause: false,
  fileOwnership: false,
  processes: false,
  resources: false,
  expose: false,
  stdinStream: false,
  ttlPause: false,
};

/** The one snapshot id `boot()` accepts: the host as it is (there are no images). */
export const HOST_SNAPSHOT_ID = "host";

/** Runs `action` now; its value or its throw as a promise (the in-memory methods have nothing to await). */
function settle<T>(action: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(action()));
}

/** SIGKILL to a whole process group (no trap runs, as with a VM's kill); a group already gone is fine. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function unsupported(operation: string): never {
  throw new VMError("UNSUPPORTED", `${operation} is not supported by the host provider`, { provider: "host", operation });
}

/** Runs argv locally; kills the process group and rejects on `timeoutMs` or `signal` unless `ignoreSignal`. */
function runLocal(argv: readonly string[], options: ExecOptions | undefined, ignoreSignal: boolean, children: Set<number>): Promise<ExecResult> {
  const ctx = { provider: "host", operation: "instances.exec" };
  if (!ignoreSignal && options?.signal?.aborted) return Promise.reject(new VMError("ABORTED", "aborted before the command started", ctx));
  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], cwd: options?.cwd, env: { ...process.env, ...options?.env }, detached: true });
    children.add(child.pid!);
    let stopped: VMError | undefined;
    const running = () => child.exitCode === null && child.signalCode === null;
    const stop = (reason: VMError) => {
      if (stopped !== undefined || !running()) return;
      stopped = reason;
      killGroup(child.pid!);
    };
    const timer = options?.timeoutMs === undefined || ignoreSignal ? undefined : setTimeout(() => stop(new VMError("TIMEOUT", "timed out", ctx)), options.timeoutMs);
    const onAbort = () => stop(new VMError("ABORTED", "aborted", ctx));
    if (!ignoreSignal) options?.signal?.addEventListener("abort", onAbort, { once: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => undefined);
    child.on("error", (e) => reject(new VMError("INTERNAL", e.message, ctx)));
    child.on("close", (code, signal) => {
      children.delete(child.pid!);
      clearTimeout(timer);
      options?.signal?.removeEventListener("abort", onAbort);
      if (stopped) reject(stopped);
      else resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), exit_code: code ?? (signal ? 128 : 1) });
    });
    const stdin = options?.stdin;
    child.stdin.end(typeof stdin === "string" || stdin instanceof Uint8Array ? Buffer.from(stdin) : undefined);
  });
}

/**
 * `ignoreSignal`: a deliberately broken exec that neither honours `signal` nor `timeoutMs`
 * (the command runs to its end). `keepDirectories`: a broken `deleteDirectory` that reports
 * success and removes nothing.
 */
export function createHostProvider(options: { ignoreSignal?: boolean; keepDirectories?: boolean } = {}): VMProvider & { killAll(): void } {
  const children = new Set<number>();
  const instances = new Map<string, VMInstance>();
  let next = 0;
  const known = (id: string, operation: string): VMInstance => {
    const vm = instances.get(id);
    if (!vm) throw new VMError("NOT_FOUND", `no instance ${id}`, { provider: "host", operation });
    return vm;
  };
  const exec = async (id: string, argv: readonly string[], execOptions?: ExecOptions) => {
    known(id, "instances.exec");
    if (execOptions?.stdin !== undefined && typeof execOptions.stdin !== "string" && !(execOptions.stdin instanceof Uint8Array)) unsupported("instances.exec");
    return runLocal(argv, execOptions, options.ignoreSignal === true, children);
  };
  const files = createExecFileService({ provider: "host", exec, stdin: true });
  const provider: VMProvider = {
    name: "host",
    version: "0.0.0",
    capabilities: HOST_CAPABILITIES,
    instances: {
      boot: (snapshotId, bootOptions) =>
        settle(() => {
          if (snapshotId !== HOST_SNAPSHOT_ID) throw new VMError("NOT_FOUND", `no snapshot ${snapshotId}`, { provider: "host", operation: "instances.boot" });
          // The host has the size it has.
          if (bootOptions?.resources !== undefined) unsupported("instances.boot");
          const vm: VMInstance = { id: `host-${++next}`, status: "ready", metadata: { ...bootOptions?.metadata }, created_at: new Date().toISOString() };
          instances.set(vm.id, vm);
          const booted: BootedInstance = { ...vm, [Symbol.asyncDispose]: () => provider.instances.terminate(vm.id) };
          return booted;
        }),
      get: (id) => settle(() => known(id, "instances.get")),
      list: (filters) => settle(() => [...instances.values()].filter((vm) => matchesInstanceFilters(vm, filters ?? {}))),
      stop: (id) => settle(() => void instances.delete(known(id, "instances.stop").id)),
      terminate: (id) => settle(() => void instances.delete(known(id, "instances.terminate").id)),
      fork: () => unsupported("instances.fork"),
      exec,
      execStream: () => unsupported("instances.execStream"),
      pause: () => unsupported("instances.pause"),
      resume: () => unsupported("instances.resume"),
      expose: () => unsupported("instances.expose"),
      unexpose: () => unsupported("instances.unexpose"),
    },
    snapshots: {
      get: (id) =>
        settle(() => {
          if (id !== HOST_SNAPSHOT_ID) throw new VMError("NOT_FOUND", `no snapshot ${id}`, { provider: "host", operation: "snapshots.get" });
          return { id, status: "ready" as const, created_at: new Date(0).toISOString() };
        }),
      list: () => Promise.resolve([]),
      create: () => unsupported("snapshots.create"),
      delete: () => unsupported("snapshots.delete"),
      fromImage: () => unsupported("snapshots.fromImage"),
    },
    images: { list: () => unsupported("images.list"), get: () => unsupported("images.get") },
    files: options.keepDirectories ? { ...files, deleteDirectory: async () => {} } : files,
    processes: new Proxy({} as VMProvider["processes"], { get: (_, key) => () => unsupported(`processes.${String(key)}`) }),
  };
  return Object.assign(provider, {
    /** Kill every command still running (what a broken exec left), so no test leaves a process. */
    killAll() {
      for (const pid of children) killGroup(pid);
    },
  });
}
