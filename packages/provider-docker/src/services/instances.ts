import type { BootOptions, BootedInstance, ExecOptions, ExecStreamChunk, VMInstance, VMInstanceService } from "@vm/core";
import { MAX_FORK_COUNT, VMError, assertId, assertInteger, assertServiceName, bootedInstance, hasVMErrorCode, matchesInstanceFilters, readBootOptions, readExecCall, readExposeCall, readInstanceFilters, resolveResources } from "@vm/provider-kit";
import type Dockerode from "dockerode";
import type { DockerContext } from "../context.js";
import { type ManagedInstance, inspectInstance, instanceStatus, isManagedInstance, toInstance } from "../containers.js";
import { createDemuxer } from "../demux.js";
import { unlessEngineWentAway } from "../engine-going-away.js";
import { fromDockerError } from "../errors.js";
import { ExposeRegistry } from "../expose/relay.js";
import { runExec } from "../exec/run.js";
import { streamExec } from "../exec/stream.js";
import { DOCKER_LABELS, buildLabels, labelFilters, readLabel } from "../labels.js";
import { hostConfigFor, resourcesOf } from "../resources.js";
import { READY_MARKER, buildInitScript } from "../scripts.js";


/** Hooks the instance service needs from the snapshot service (fork). */
export interface ForkSupport {
  /** Commits the instance (after `pm2 save`) to an internal fork snapshot; returns its image id. */
  createForkSnapshot(instanceId: string): Promise<string>;
  /** Removes a fork snapshot once no container uses it; never throws. */
  releaseForkSnapshot(imageId: string): Promise<void>;
}

interface BootInternal {
  forkOf?: string;
}

function validateBoot(ctx: DockerContext, snapshotId: unknown, options: unknown): BootOptions {
  const ectx = { provider: ctx.provider, operation: "instances.boot" };
  assertId(snapshotId, ectx, "snapshotId");
  // ttl_action "pause" is UNSUPPORTED: the TTL runs in the container's own init, which cannot freeze itself.
  return readBootOptions(options, ectx, { ttlPause: false });
}

/**
 * The container's log ended before the readiness line: its init exited, it was killed or
 * stopped from outside (`docker kill`, an engine shutdown), or the engine went away. The engine
 * may mark the container stopped a moment after its log ends, so this waits (up to 2 s) for
 * the state to settle before it decides.
 */
async function whyNotReady(ctx: DockerContext, container: Dockerode.Container): Promise<VMError> {
  const ectx = { provider: ctx.provider, operation: "instances.boot" };
  let info: Dockerode.ContainerInspectInfo | undefined;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      info = await container.inspect();
    } catch (err) {
      return fromDockerError(err, { ...ectx, subject: `instance ${container.id}` });
    }
    if (!info.State.Running) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const code = info?.State.ExitCode;
  // 137/143: SIGKILL/SIGTERM to the init (docker kill, docker stop, an engine shutdown).
  if (info && !info.State.Running && (code === 137 || code === 143 || info.State.OOMKilled)) {
    return new VMError("CONFLICT", `the instance was stopped before it was ready (exit code ${code}${info.State.OOMKilled ? ", OOM-killed" : ""}); the container was removed`, ectx);
  }
  return new VMError("INTERNAL", `the instance's init exited before it was ready (exit code ${code ?? "unknown"}; does the image have /bin/sh?)`, ectx);
}

/** Waits for the init's readiness line in the container's log; fails if the container exits first. */
async function waitReady(ctx: DockerContext, container: Dockerode.Container, deadline: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const operation = "instances.boot";
  if (signal?.aborted) throw new VMError("ABORTED", "boot was aborted; the container was removed", { provider: ctx.provider, operation, cause: signal.reason });
  const stream = (await container.logs({ follow: true, stdout: true, stderr: false })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  await new Promise<void>((resolve, reject) => {
    let text = "";
    let done = false;
    const finish = (err?: VMError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      stream.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => finish(new VMError("ABORTED", "boot was aborted; the container was removed", { provider: ctx.provider, operation, cause: signal?.reason }));
    const timedOut = () => new VMError("TIMEOUT", `the instance was not ready within ${timeoutMs} ms; the container was removed`, { provider: ctx.provider, operation });
    const timer = setTimeout(() => finish(timedOut()), Math.max(0, deadline - Date.now()));
    signal?.addEventListener("abort", onAbort, { once: true });
    const push = createDemuxer((_stream, data) => {
      text = (text + data.toString("utf8")).slice(-4096);
      // The log replays lines written before it was attached, so readiness can arrive before the
      // timer fires even when the deadline has passed: check it, or a tiny timeoutMs could succeed.
      if (text.includes(READY_MARKER)) finish(Date.now() > deadline ? timedOut() : undefined);
    });
    stream.on("data", (chunk: Buffer) => push(chunk));
    stream.on("end", () => {
      if (done) return;
      void whyNotReady(ctx, container).then(finish);
    });
    stream.on("error", (err: unknown) => finish(fromDockerError(err, { provider: ctx.provider, operation })));
  });
}

async function removeQuietly(ctx: DockerContext, id: string): Promise<void> {
  try {
    await ctx.docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    const vmErr = fromDockerError(err, { provider: ctx.provider, operation: "instances.terminate" });
    if (vmErr.code !== "NOT_FOUND" && vmErr.code !== "CONFLICT") ctx.logger?.warn("docker: could not remove container", { id, code: vmErr.code });
  }
}

/**
 * The instance service: containers whose init keeps them alive, exec over the engine's
 * exec API with in-container kill on timeout/abort/cancel.
 */
export function createInstanceService(
  ctx: DockerContext,
  resurrectScript: string,
  fork: ForkSupport,
  ensureManaged: (instanceId: string, operation: string) => Promise<ManagedInstance>,
): VMInstanceService {
  const initScript = buildInitScript(resurrectScript);
  // Boots in flight in this process, by container id. A terminate of one of them stops the
  // boot (which removes its container and rejects ABORTED) and waits for it to settle: the
  // engine can finish the boot's last steps (readiness, inspect) while the removal runs, and
  // a boot resolving "ready" after terminate answered would hand out a removed instance.
  const booting = new Map<string, { stop: AbortController; settled: Promise<unknown> }>();
  // Container creations in flight: the engine lists (and may answer for) a container before
  // its create request has answered, so a terminate can name a boot not yet in `booting`.
  const creating = new Set<Promise<void>>();

  /** Stops the in-flight boots `instanceId` names (a full id or a prefix); returns them. */
  function stopBoots(instanceId: string): Promise<unknown>[] {
    const stopped: Promise<unknown>[] = [];
    for (const [id, boot] of booting) {
      if (!id.startsWith(instanceId)) continue;
      boot.stop.abort(new VMError("ABORTED", `instance ${id} was terminated while it booted`, { provider: ctx.provider, operation: "instances.boot" }));
      stopped.push(boot.settled);
    }
    return stopped;
  }

  const booted = (instance: VMInstance): BootedInstance => bootedInstance(instance, (id) => service.terminate(id));
  const exposed = new ExposeRegistry(ctx);
  /** The instance as the contract shows it, with the services this process exposed for it. */
  const withServices = (instance: VMInstance): VMInstance => {
    const services = exposed.servicesOf(instance.id);
    return services.length > 0 ? { ...instance, services } : instance;
  };

  /** pause/resume: the engine's cgroup freeze. Idempotent; a container that is not running is CONFLICT. */
  async function setPaused(instanceId: string, paused: boolean): Promise<void> {
    const operation = paused ? "instances.pause" : "instances.resume";
    assertId(instanceId, { provider: ctx.provider, operation }, "instanceId");
    const info = await inspectInstance(ctx, instanceId, operation);
    if (info.State.Paused === paused && info.State.Running) return;
    if (!info.State.Running) {
      throw new VMError("CONFLICT", `instance ${instanceId} is ${instanceStatus(info.Config.Labels, info.State.Status)}; only a ${paused ? "ready" : "paused"} instance can be ${paused ? "paused" : "resumed"}`, { provider: ctx.provider, operation });
    }
    try {
      const container = ctx.docker.getContainer(info.Id);
      await (paused ? container.pause() : container.unpause());
    } catch (err) {
      const vmErr = fromDockerError(err, { provider: ctx.provider, operation, subject: `instance ${instanceId}` });
      // A concurrent call got there first ("is already paused", "is not paused": the engine may
      // answer 409 or 500): the state asked for holds, so this call succeeded too.
      const now = await inspectInstance(ctx, instanceId, operation).catch(() => undefined);
      if (now?.State.Running && now.State.Paused === paused) return;
      throw vmErr;
    }
  }

  async function bootInternal(snapshotId: string, given: BootOptions | undefined, internal: BootInternal = {}): Promise<BootedInstance> {
    const options = validateBoot(ctx, snapshotId, given);
    try {
      return await bootValidated(snapshotId, options, internal);
    } catch (err) {
      // An engine shutting down answers a boot in flight oddly (its container "exited" with
      // the init's status, a start failed on the engine's closed network store: NOT_FOUND,
      // INTERNAL). That is the engine going away, not the snapshot or the image.
      throw await unlessEngineWentAway(ctx.docker, fromDockerError(err, { provider: ctx.provider, operation: "instances.boot" }));
    }
  }

  async function bootValidated(snapshotId: string, options: BootOptions, internal: BootInternal): Promise<BootedInstance> {
    const operation = "instances.boot";
    // timeoutMs bounds the whole boot (inspect, create, start, ready), not only the wait for readiness.
    const deadline = Date.now() + (options.timeoutMs ?? ctx.bootTimeoutMs);
    let image: Dockerode.ImageInspectInfo;
    try {
      image = await ctx.docker.getImage(snapshotId).inspect();
    } catch (err) {
      throw fromDockerError(err, { provider: ctx.provider, operation, subject: `snapshot ${snapshotId}` });
    }
    const ttlSeconds = options.ttl_seconds;
    // "pause" never gets here: readBootOptions refused it (capabilities.ttlPause is false).
    const ttlAction: "stop" | "terminate" = options.ttl_action === "terminate" ? "terminate" : "stop";
    const ttl = ttlSeconds === undefined ? undefined : { seconds: ttlSeconds, action: ttlAction, deadline: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
    // The snapshot's size, field by field overridden by the boot's.
    const resources = resolveResources(options.resources, resourcesOf(image.Config.Labels));
    const limits = await hostConfigFor(ctx, resources, operation);
    const labels = buildLabels(
      {
        kind: "instance",
        ...(options.metadata ? { metadata: options.metadata } : {}),
        ...(ttl ? { ttl } : {}),
        bootDeadline: new Date(deadline).toISOString(),
        snapshot: image.Id,
        ...(internal.forkOf ? { forkOf: internal.forkOf } : {}),
        resources,
        extra: ctx.extraLabels,
      },
      image.Config.Labels ?? {},
    );
    let container: Dockerode.Container;
    let created = () => {};
    const creation = new Promise<void>((resolve) => (created = resolve));
    creating.add(creation);
    try {
      container = await ctx.docker.createContainer({
        Image: image.Id,
        Entrypoint: ["sh", "-c", initScript, "vm-init"],
        Cmd: [ttlSeconds === undefined ? "" : String(ttlSeconds)],
        Labels: labels,
        Tty: false,
        OpenStdin: false,
        HostConfig: {
          ...limits,
          Init: true,
          AutoRemove: ttl?.action === "terminate",
          ...(ctx.network ? { NetworkMode: ctx.network } : {}),
        },
      });
    } catch (err) {
      throw fromDockerError(err, { provider: ctx.provider, operation, subject: `snapshot ${snapshotId}` });
    } finally {
      // A terminate waiting for this resumes in a later microtask: after `booting` has the
      // entry set below, in this same synchronous run.
      creating.delete(creation);
      created();
    }
    const stop = new AbortController();
    let settle = () => {};
    booting.set(container.id, { stop, settled: new Promise<void>((resolve) => (settle = resolve)) });
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    try {
      await container.start();
      await waitReady(ctx, container, deadline, options.timeoutMs ?? ctx.bootTimeoutMs, signal);
      const info = await container.inspect();
      // terminate() ran during the last steps: the instance is being removed, not ready.
      if (stop.signal.aborted) throw stop.signal.reason;
      ctx.logger?.debug("docker: booted", { id: info.Id, snapshot: image.Id });
      return booted(toInstance(info.Id, info.Config.Labels, info.State.Status, info.Created));
    } catch (err) {
      await removeQuietly(ctx, container.id);
      throw stop.signal.aborted ? stop.signal.reason : fromDockerError(err, { provider: ctx.provider, operation, subject: `instance ${container.id}` });
    } finally {
      booting.delete(container.id);
      settle();
    }
  }

  /** terminate's removal; `boots` collects the in-flight boots it stopped (by the full id, for a name). */
  async function removeInstance(instanceId: string, boots: Promise<unknown>[]): Promise<void> {
    const operation = "instances.terminate";
    const info = await inspectInstance(ctx, instanceId, operation);
    if (info.Id !== instanceId) boots.push(...stopBoots(info.Id));
    // Its URLs stop answering and their connections end (the tunnels die with the container too).
    exposed.closeInstance(info.Id);
    try {
      await ctx.docker.getContainer(info.Id).remove({ force: true, v: true });
    } catch (err) {
      const vmErr = fromDockerError(err, { provider: ctx.provider, operation, subject: `instance ${instanceId}` });
      // "removal already in progress" (AutoRemove racing us) means it is going anyway.
      if (vmErr.code !== "CONFLICT" && vmErr.code !== "NOT_FOUND") throw vmErr;
    }
    const forkSnapshot = readLabel(info.Config.Labels, DOCKER_LABELS.forkOf) ? readLabel(info.Config.Labels, DOCKER_LABELS.snapshot) : undefined;
    if (forkSnapshot) await fork.releaseForkSnapshot(forkSnapshot);
  }

  const service: VMInstanceService & { bootInternal: typeof bootInternal } = {
    bootInternal,

    boot(snapshotId, options) {
      return bootInternal(snapshotId, options);
    },

    async get(instanceId) {
      assertId(instanceId, { provider: ctx.provider, operation: "instances.get" }, "instanceId");
      const info = await inspectInstance(ctx, instanceId, "instances.get");
      return withServices(toInstance(info.Id, info.Config.Labels, info.State.Status, info.Created));
    },

    async list(given) {
      const ectx = { provider: ctx.provider, operation: "instances.list" };
      const filters = readInstanceFilters(given, ectx);
      let containers: Dockerode.ContainerInfo[];
      try {
        containers = await ctx.docker.listContainers({ all: true, filters: { label: labelFilters("instance", filters.metadata, ctx.extraLabels) } });
      } catch (err) {
        throw fromDockerError(err, ectx);
      }
      return containers
        .filter((c) => isManagedInstance(c.Labels))
        .map((c) => withServices(toInstance(c.Id, c.Labels, c.State, c.Created)))
        .filter((i) => matchesInstanceFilters(i, filters));
    },

    async stop(instanceId) {
      const operation = "instances.stop";
      assertId(instanceId, { provider: ctx.provider, operation }, "instanceId");
      const info = await inspectInstance(ctx, instanceId, operation);
      exposed.closeInstance(info.Id);
      try {
        // A frozen process cannot handle SIGTERM: thaw a paused instance so the stop is graceful
        // (and Podman refuses to stop a paused container).
        if (info.State.Paused) await ctx.docker.getContainer(info.Id).unpause();
        await ctx.docker.getContainer(instanceId).stop({ t: 5 });
      } catch (err) {
        // 304: already stopped. Stopping is idempotent.
        if ((err as { statusCode?: number }).statusCode === 304) return;
        const vmErr = fromDockerError(err, { provider: ctx.provider, operation, subject: `instance ${instanceId}` });
        // An AutoRemove (ttl_action "terminate") container can vanish while it stops.
        if (vmErr.code === "NOT_FOUND" || vmErr.code === "CONFLICT") return;
        throw vmErr;
      }
    },

    pause: (instanceId) => setPaused(instanceId, true),
    resume: (instanceId) => setPaused(instanceId, false),

    async expose(instanceId, port, given) {
      const operation = "instances.expose";
      const call = readExposeCall(instanceId, port, given, { provider: ctx.provider, operation });
      if (call.auth === "api_key") {
        throw new VMError("UNSUPPORTED", 'the Docker provider has no API key to check: its URLs listen on 127.0.0.1 only; use auth "none"', { provider: ctx.provider, operation });
      }
      const info = await inspectInstance(ctx, instanceId, operation);
      if (!info.State.Running) throw new VMError("CONFLICT", `instance ${instanceId} is ${instanceStatus(info.Config.Labels, info.State.Status)}; only a ready or paused instance can expose a port`, { provider: ctx.provider, operation });
      return exposed.expose(info.Id, call.port, call.name, operation);
    },

    async unexpose(instanceId, name) {
      const operation = "instances.unexpose";
      assertId(instanceId, { provider: ctx.provider, operation }, "instanceId");
      assertServiceName(name, { provider: ctx.provider, operation });
      const info = await inspectInstance(ctx, instanceId, operation);
      if (!exposed.unexpose(info.Id, name)) throw new VMError("NOT_FOUND", `instance ${instanceId} has no exposed service ${JSON.stringify(name)} (in this process)`, { provider: ctx.provider, operation });
    },

    async terminate(instanceId) {
      const operation = "instances.terminate";
      assertId(instanceId, { provider: ctx.provider, operation }, "instanceId");
      const boots = stopBoots(instanceId);
      try {
        await removeInstance(instanceId, boots);
      } catch (err) {
        // Not found (yet): a boot whose container the engine already lists may still be
        // waiting for its create request to answer. Once the creations in flight have
        // answered, such a boot is stopped here (it removes its container) and that is the
        // termination.
        if (!hasVMErrorCode(err, "NOT_FOUND") || creating.size === 0) throw err;
        await Promise.all(creating);
        const late = stopBoots(instanceId);
        if (late.length === 0) throw err;
        boots.push(...late);
      } finally {
        // A boot of this instance rejects (ABORTED) and removes its container: wait for it.
        await Promise.all(boots);
      }
    },

    async fork(instanceId, count) {
      const operation = "instances.fork";
      assertId(instanceId, { provider: ctx.provider, operation }, "instanceId");
      assertInteger(count, { provider: ctx.provider, operation }, "count", 1, MAX_FORK_COUNT);
      const parent = await inspectInstance(ctx, instanceId, operation);
      if (parent.State.Status !== "running") {
        throw new VMError("CONFLICT", `instance ${instanceId} is ${parent.State.Status}; only a running instance can be forked`, { provider: ctx.provider, operation });
      }
      const snapshotId = await fork.createForkSnapshot(parent.Id);
      const results = await Promise.allSettled(Array.from({ length: count }, () => bootInternal(snapshotId, {}, { forkOf: parent.Id })));
      const ok = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) {
        await Promise.all(ok.map((vm) => removeQuietly(ctx, vm.id)));
        await fork.releaseForkSnapshot(snapshotId);
        throw fromDockerError(failed.reason, { provider: ctx.provider, operation });
      }
      return ok;
    },

    async exec(instanceId, givenArgv, givenOptions?: ExecOptions) {
      const operation = "instances.exec";
      // Docker hands argv and env to the engine as they are: the kit checks their size too.
      const { argv, options } = readExecCall(instanceId, givenArgv, givenOptions, { provider: ctx.provider, operation }, { checkSize: true, stdinStream: true });
      const { env: instanceEnv } = await ensureManaged(instanceId, operation);
      return runExec(ctx, { instanceId, argv, instanceEnv, options: options ?? {}, operation });
    },

    execStream(instanceId, givenArgv, givenOptions?: ExecOptions): AsyncIterable<ExecStreamChunk> {
      const operation = "instances.execStream";
      // Validate now, so bad input fails at the call and not at the first `next()`.
      const { argv, options } = readExecCall(instanceId, givenArgv, givenOptions, { provider: ctx.provider, operation }, { checkSize: true, stdinStream: true });
      return {
        [Symbol.asyncIterator]: () => {
          const gen = (async function* () {
            const { env: instanceEnv } = await ensureManaged(instanceId, operation);
            yield* streamExec(ctx, { instanceId, argv, instanceEnv, options: options ?? {}, operation });
          })();
          return gen;
        },
      };
    },
  };
  return service;
}
