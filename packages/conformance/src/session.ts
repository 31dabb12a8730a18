import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { BootOptions, VMProvider } from "@vm/core";
import { isVMError } from "@vm/provider-kit";
import { hostLeftovers, onHost, removeScratch, scratchPath } from "./scratch.js";
import { createResourceTracker } from "./tracker.js";
import type { CaseContext, CaseGroup, ConformanceCase, ConformanceMarker, ConformanceSetup, ConformanceTarget, ResourceTracker } from "./types.js";

/** Metadata keys every resource the suite makes carries. */
export const MARKER_KEYS = {
  target: "vm-conformance",
  run: "vm-conformance-run",
  owner: "vm-conformance-owner",
} as const;

// A crashed run's leftovers are swept at the next start. Resources of another live run (same
// target, another process) are left alone: their owner process is still alive.
const FOREIGN_HOST_STALE_MS = 2 * 60 * 60 * 1000;

export function createMarker(target: string): ConformanceMarker {
  const run = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  return {
    target,
    run,
    metadata: { [MARKER_KEYS.target]: target, [MARKER_KEYS.run]: run, [MARKER_KEYS.owner]: `${hostname()}:${process.pid}` },
  };
}

function ownerAlive(owner: string | undefined): boolean | undefined {
  if (!owner) return undefined;
  const at = owner.lastIndexOf(":");
  const host = owner.slice(0, at);
  const pid = Number(owner.slice(at + 1));
  if (host !== hostname() || !Number.isInteger(pid)) return undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isStale(metadata: Record<string, string> | undefined, createdAt: string, currentRun: string): boolean {
  if (metadata?.[MARKER_KEYS.run] === currentRun) return false;
  const alive = ownerAlive(metadata?.[MARKER_KEYS.owner]);
  if (alive !== undefined) return !alive;
  const created = Date.parse(createdAt);
  return Number.isFinite(created) && Date.now() - created > FOREIGN_HOST_STALE_MS;
}

async function quietly(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (isVMError(err) && err.code === "NOT_FOUND") return;
    throw err;
  }
}

/** What the run (or a crashed earlier run) left behind, as `provider.list()` sees it. */
export async function findMarked(
  provider: VMProvider,
  filter: Record<string, string>,
): Promise<{ instances: { id: string; metadata?: Record<string, string>; created_at: string }[]; snapshots: { id: string; metadata?: Record<string, string>; created_at: string }[] }> {
  const instances = await provider.instances.list({ metadata: filter });
  let snapshots: Awaited<ReturnType<VMProvider["snapshots"]["list"]>> = [];
  if (provider.capabilities.snapshots || provider.capabilities.fromImage) snapshots = await provider.snapshots.list({ metadata: filter });
  return { instances, snapshots };
}

/**
 * Remove what this run made (`scope: "run"`) or what crashed runs of this target left
 * behind (`scope: "stale"`). Instances go first: snapshots in use cannot be deleted.
 */
export async function sweep(provider: VMProvider, target: ConformanceTarget, marker: ConformanceMarker, scope: "run" | "stale"): Promise<string[]> {
  const filter: Record<string, string> = scope === "run" ? { [MARKER_KEYS.run]: marker.run } : { [MARKER_KEYS.target]: marker.target };
  const found = await findMarked(provider, filter);
  const removed: string[] = [];
  const errors: unknown[] = [];
  for (const instance of found.instances) {
    if (scope === "stale" && !isStale(instance.metadata, instance.created_at, marker.run)) continue;
    try {
      await quietly(() => provider.instances.terminate(instance.id));
      removed.push(`instance ${instance.id}`);
    } catch (err) {
      errors.push(err);
    }
  }
  for (const snapshot of found.snapshots) {
    if (scope === "stale" && !isStale(snapshot.metadata, snapshot.created_at, marker.run)) continue;
    try {
      await quietly(() => provider.snapshots.delete(snapshot.id));
      removed.push(`snapshot ${snapshot.id}`);
    } catch (err) {
      errors.push(err);
    }
  }
  if (target.sweep) await target.sweep(provider, marker);
  if (errors.length > 0) throw new AggregateError(errors, `sweep (${scope}) could not remove everything`);
  return removed;
}

/**
 * Why a case does not run against this target, or `undefined` when it runs.
 */
export function skipReason(testCase: ConformanceCase, target: Pick<ConformanceTarget, "capabilities">): string | undefined {
  const missing = testCase.needs.filter((c) => !target.capabilities[c]);
  if (missing.length > 0) return `provider lacks ${missing.join(", ")}`;
  const present = (testCase.lacks ?? []).filter((c) => target.capabilities[c]);
  if (present.length > 0) return `provider has ${present.join(", ")} (this checks the UNSUPPORTED error)`;
  return undefined;
}

/**
 * One conformance run against one target: lazy setup, the start sweep, per-group shared
 * instances, per-case trackers, the end sweep and teardown.
 */
export interface ConformanceSession {
  readonly target: ConformanceTarget;
  readonly marker: ConformanceMarker;
  /** Setup + start sweep, once. */
  ready(): Promise<ConformanceSetup>;
  group(group: CaseGroup): GroupFixture;
  /**
   * Leak check: what cases left carrying this run's marker (the setup's snapshot aside), then
   * the end sweep, then what is still there at provider and backend level (`target.leftovers`).
   */
  leftovers(): Promise<string[]>;
  /** End sweep + teardown; safe to call when setup never ran. */
  finish(): Promise<void>;
}

export interface GroupFixture {
  run(testCase: ConformanceCase): Promise<void>;
  dispose(): Promise<void>;
}

function unique(prefix = "vmc"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

export function createSession(target: ConformanceTarget): ConformanceSession {
  const marker = createMarker(target.name);
  let setupPromise: Promise<ConformanceSetup> | undefined;

  function withMarker<T extends { metadata?: Record<string, string> }>(options: T | undefined): T {
    return { ...(options ?? ({} as T)), metadata: { ...(options?.metadata ?? {}), ...marker.metadata } };
  }

  const session: ConformanceSession = {
    target,
    marker,
    ready() {
      setupPromise ??= (async () => {
        const setup = await target.setup(marker);
        await sweep(setup.provider, target, marker, "stale");
        return setup;
      })();
      return setupPromise;
    },
    group(group) {
      let shared: Promise<string> | undefined;
      let groupTracker: ResourceTracker | undefined;
      const fixture: GroupFixture = {
        async run(testCase) {
          const setup = await session.ready();
          const { provider } = setup;
          groupTracker ??= createResourceTracker(provider);
          const gt = groupTracker;
          const track = createResourceTracker(provider);
          const scratchDirs: string[] = [];
          const boot = async (options?: BootOptions) => {
            const vm = await provider.instances.boot(setup.snapshotId, withMarker(options));
            track.instance(vm.id);
            return vm;
          };
          const ctx: CaseContext = {
            provider,
            snapshotId: setup.snapshotId,
            imageId: setup.imageId,
            capabilities: target.capabilities,
            marker,
            caseId: testCase.id,
            track,
            sharedInstance() {
              shared ??= (async () => {
                const vm = await provider.instances.boot(setup.snapshotId, withMarker({ metadata: { "vm-conformance-group": group.id } }));
                gt.instance(vm.id);
                return vm.id;
              })();
              // A failed shared boot is retried by the next case rather than failing it too.
              void shared.catch(() => {
                shared = undefined;
              });
              return shared;
            },
            async scratchDir(instanceId) {
              const id = instanceId ?? (await ctx.sharedInstance());
              const dir = scratchPath(marker.run, testCase.id);
              scratchDirs.push(dir);
              track.add(`scratch directory ${dir} in ${id}`, () => removeScratch(provider, id, dir));
              const result = await provider.instances.exec(id, ["mkdir", "-p", "--", dir]);
              if (result.exit_code !== 0) throw new Error(`could not create scratch dir ${dir} (assumption writable-tmp: /tmp must be writable by the default exec user): ${result.stderr}`);
              return dir;
            },
            boot,
            async fork(instanceId, count) {
              const children = await provider.instances.fork(instanceId, count);
              for (const child of children) track.instance(child.id);
              return children;
            },
            async createSnapshot(instanceId, options) {
              const snapshot = await provider.snapshots.create(instanceId, withMarker(options));
              track.snapshot(snapshot.id);
              return snapshot;
            },
            async fromImage(imageId, options) {
              const snapshot = await provider.snapshots.fromImage(imageId, withMarker(options));
              track.snapshot(snapshot.id);
              return snapshot;
            },
            sh(instanceId, script, args = [], options) {
              return provider.instances.exec(instanceId, ["bash", "-c", script, "bash", ...args], options);
            },
            unique,
          };
          let failure: unknown;
          try {
            await testCase.run(ctx);
          } catch (err) {
            failure = err;
          }
          const cleanupErrors = await track.cleanup();
          // Removed in the VM yet still on this host: the host is where the VM's files are.
          for (const dir of onHost(scratchDirs)) cleanupErrors.push(new Error(`scratch directory ${dir} is still on the host after the case`));
          if (failure !== undefined) throw failure instanceof Error ? failure : new Error("the case threw a non-Error value", { cause: failure });
          if (cleanupErrors.length > 0) throw new AggregateError(cleanupErrors, `${testCase.id}: cleanup failed: ${cleanupErrors.map((e) => e.message).join("; ")}`);
        },
        async dispose() {
          const errors = groupTracker ? await groupTracker.cleanup() : [];
          shared = undefined;
          if (errors.length > 0) throw new AggregateError(errors, `group ${group.id}: cleanup failed`);
        },
      };
      return fixture;
    },
    async leftovers() {
      const { provider, snapshotId } = await session.ready();
      const describe = (found: Awaited<ReturnType<typeof findMarked>>, skipSnapshot?: string) => [
        ...found.instances.map((i) => `instance ${i.id}`),
        ...found.snapshots.filter((s) => s.id !== skipSnapshot).map((s) => `snapshot ${s.id}`),
      ];
      // The setup's own snapshot may carry the marker on purpose: the end sweep removes it.
      const left = describe(await findMarked(provider, { [MARKER_KEYS.run]: marker.run }), snapshotId);
      await sweep(provider, target, marker, "run");
      const afterSweep = describe(await findMarked(provider, { [MARKER_KEYS.run]: marker.run }));
      for (const item of afterSweep) if (!left.includes(item)) left.push(`${item} (survived the end sweep)`);
      if (target.leftovers) left.push(...(await target.leftovers(provider, marker)));
      left.push(...hostLeftovers(marker.run).map((path) => `host path ${path}`));
      return left;
    },
    async finish() {
      if (!setupPromise) return;
      let setup: ConformanceSetup;
      try {
        setup = await setupPromise;
      } catch {
        return; // setup failed: every case already failed with its error; nothing was made.
      }
      try {
        await sweep(setup.provider, target, marker, "run");
        const found = await findMarked(setup.provider, { [MARKER_KEYS.run]: marker.run });
        const left = [...found.instances.map((i) => `instance ${i.id}`), ...found.snapshots.map((s) => `snapshot ${s.id}`)];
        if (left.length > 0) throw new Error(`the end sweep could not remove: ${left.join(", ")}`);
      } finally {
        await setup.teardown?.();
      }
    },
  };
  return session;
}
