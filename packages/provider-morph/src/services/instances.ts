import { randomUUID } from "node:crypto";
import type { BootedInstance, BootOptions, InstanceFilters, Logger, VMInstance, VMInstanceService } from "@vm/core";
import { MAX_FORK_COUNT, VMError, assertId, assertInteger, assertServiceName, bootedInstance, canInstanceReach, hasVMErrorCode, matchesInstanceFilters, matchesMetadata, readBootOptions, readExposeCall, readInstanceFilters } from "@vm/provider-kit";
import { metadataQuery, pathOf, type MorphClient } from "../api-client/base-client.js";
import { MORPH_DEFAULT_MAX_EVENT_BYTES } from "../api-client/body.js";
import { BRANCH_KEY, REQUEST_MARKER_KEY, STOPPED_KEY, TTL_STOP_KEY, instanceStatusOf, morphTtlAction, toExposedService, toVMInstance } from "../api-client/mappers.js";
import type { BootInstanceRequest } from "../spec/generated/types.gen.js";
import { branchInstanceResponseSchema, instanceModelCollectionSchema, instanceModelSchema, type InstanceModel } from "../spec/responses.js";
import type { ExecDeps } from "./exec/deps.js";
import { execOnce } from "./exec/exec.js";
import { execStream } from "./exec/stream.js";

const PROVIDER = "morph";

/** Options of the instance service. */
export interface MorphInstanceServiceOptions {
  client: MorphClient;
  /** Default wait for `ready` after boot/fork (ms). */
  bootTimeoutMs: number;
  /** HTTP timeout of an exec without `timeoutMs` (ms), `false` for none. */
  execTimeoutMs: number | false;
  /**
   * Largest `exec/sse` event, or run of bytes that completes none: past it the stream fails
   * `RESOURCE_EXHAUSTED`.
   * @default MORPH_DEFAULT_MAX_EVENT_BYTES (8 MiB)
   */
  maxEventBytes?: number;
  /** Called before a fork so PM2's process list travels with the branch. @default none */
  beforeFork?: (instanceId: string) => Promise<void>;
  /** Where debug lines go. @default none */
  logger?: Logger;
}

function ctx(operation: string) {
  return { provider: PROVIDER, operation };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `VMInstanceService` over Morph's instance endpoints (see the README's mapping table).
 */
export function createMorphInstanceService(options: MorphInstanceServiceOptions): VMInstanceService {
  const { client } = options;
  const execDeps: ExecDeps = {
    client,
    execTimeoutMs: options.execTimeoutMs,
    maxEventBytes: options.maxEventBytes ?? MORPH_DEFAULT_MAX_EVENT_BYTES,
    ...(options.logger ? { logger: options.logger } : {}),
  };

  async function getModel(instanceId: string, operation: string, signal?: AbortSignal): Promise<InstanceModel> {
    return client.request({
      method: "GET",
      path: pathOf("instance", instanceId),
      operation,
      schema: instanceModelSchema,
      idempotent: true,
      ...(signal ? { signal } : {}),
    });
  }

  async function listModels(metadata: Record<string, string> | undefined, operation: string): Promise<InstanceModel[]> {
    const answer = await client.request({
      method: "GET",
      path: "instance",
      operation,
      searchParams: metadataQuery(metadata),
      schema: instanceModelCollectionSchema,
      idempotent: true,
    });
    // Re-checked here, on the raw metadata (hidden keys included, so the request-marker
    // recovery is covered too): a server may ignore a key it does not understand and answer
    // with everything, and a caller may terminate whatever a filter returns.
    return answer.data.filter((model) => matchesMetadata(model.metadata, metadata));
  }

  async function terminate(instanceId: string, operation = "instances.terminate"): Promise<void> {
    assertId(instanceId, ctx(operation), "instanceId");
    // Forks are recognised by their hidden branch key; their branch snapshot goes with the last one.
    let branchSnapshot: string | undefined;
    try {
      const model = await getModel(instanceId, operation);
      if (model.metadata?.[BRANCH_KEY]) branchSnapshot = model.refs.snapshot_id;
    } catch (err) {
      if (!hasVMErrorCode(err, "NOT_FOUND")) throw err;
    }
    await client.request({ method: "DELETE", path: pathOf("instance", instanceId), operation, idempotent: true, goneIsSuccess: true });
    if (branchSnapshot) await releaseBranchSnapshot(branchSnapshot, operation);
  }

  async function releaseBranchSnapshot(snapshotId: string, operation: string): Promise<void> {
    try {
      const users = (await listModels(undefined, operation)).filter((m) => m.refs.snapshot_id === snapshotId);
      if (users.length > 0) return;
      await client.request({ method: "DELETE", path: pathOf("snapshot", snapshotId), operation, idempotent: true, goneIsSuccess: true });
    } catch (err) {
      // Best effort: a branch snapshot still in use or already gone is fine.
      if (!hasVMErrorCode(err, "NOT_FOUND", "CONFLICT")) options.logger?.warn("morph: could not delete a branch snapshot", { snapshotId, operation });
    }
  }

  const booted = (instance: VMInstance): BootedInstance => bootedInstance(instance, (id) => terminate(id));

  /**
   * Runs a pause or resume; when it fails, a concurrent call may have got there first (Morph
   * answers a resume of a ready instance with an error): if the instance is now as asked, this
   * call succeeded too.
   */
  async function settled(instanceId: string, operation: string, wanted: "paused" | "ready", action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (err) {
      const now = await getModel(instanceId, operation).then(instanceStatusOf, () => undefined);
      if (now !== wanted) throw err;
    }
  }

  /** Sets (or clears: Morph's metadata merge keeps keys, so to "") the hidden key that makes a paused instance `stopped`. */
  async function setStopMark(instanceId: string, operation: string, on: boolean): Promise<void> {
    await client.request({ method: "POST", path: pathOf("instance", instanceId, "metadata"), operation, json: { [STOPPED_KEY]: on ? "1" : "" }, schema: instanceModelSchema, idempotent: true });
  }

  /** Morph's pause, without the snapshot it takes by default (a hidden resource nobody asked for). */
  async function pauseModel(instanceId: string, operation: string): Promise<void> {
    await client.request({
      method: "POST",
      path: pathOf("instance", instanceId, "pause"),
      operation,
      searchParams: new URLSearchParams({ snapshot: "false" }),
      schema: instanceModelSchema,
      idempotent: true,
    });
  }

  // Polls with backoff until every instance is ready; on failure, timeout or abort every
  // one of them is deleted, so a failed boot leaks nothing.
  async function waitReady(ids: string[], operation: string, timeoutMs: number, signal?: AbortSignal): Promise<VMInstance[]> {
    const deadline = Date.now() + timeoutMs;
    const ready = new Map<string, VMInstance>();
    let delay = 100;
    try {
      for (;;) {
        for (const id of ids) {
          if (ready.has(id)) continue;
          const instance = toVMInstance(await getModel(id, operation, signal));
          if (instance.status === "ready") ready.set(id, instance);
          // An instance that can no longer become ready by itself (error, stopped, or paused
          // from outside: only a resume would bring it back) will not by waiting: fail now.
          else if (instance.status === "paused" || !canInstanceReach(instance.status, "ready")) throw new VMError("UNAVAILABLE", `instance ${id} failed to boot (it is ${instance.status})`, ctx(operation));
        }
        if (ready.size === ids.length) return ids.map((id) => ready.get(id)!);
        if (signal?.aborted) throw new VMError("ABORTED", "boot was aborted", { ...ctx(operation), cause: signal.reason });
        if (Date.now() >= deadline) throw new VMError("TIMEOUT", `instances did not become ready within ${timeoutMs} ms`, ctx(operation));
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
        delay = Math.min(delay * 2, 1_000);
      }
    } catch (err) {
      await Promise.allSettled(ids.map((id) => terminate(id, operation)));
      throw err;
    }
  }

  function bootBody(boot: BootOptions, marker: string): BootInstanceRequest {
    const ttlStop = boot.ttl_seconds !== undefined && (boot.ttl_action ?? "stop") === "stop";
    return {
      // TTL_STOP_KEY: Morph pauses at the TTL; the contract's "stop" is a pause that stays stopped.
      metadata: { ...(boot.metadata ?? {}), [REQUEST_MARKER_KEY]: marker, ...(ttlStop ? { [TTL_STOP_KEY]: "1" } : {}) },
      // Only the fields given: the rest stay the snapshot's (Morph's boot overrides).
      ...(boot.resources?.vcpus === undefined ? {} : { vcpus: boot.resources.vcpus }),
      ...(boot.resources?.memoryMb === undefined ? {} : { memory: boot.resources.memoryMb }),
      ...(boot.resources?.diskMb === undefined ? {} : { disk_size: boot.resources.diskMb }),
      ...(boot.ttl_seconds === undefined ? {} : { ttl_seconds: boot.ttl_seconds, ttl_action: morphTtlAction(boot.ttl_action ?? "stop") }),
    };
  }

  return {
    async boot(snapshotId: string, given?: BootOptions): Promise<BootedInstance> {
      const c = ctx("instances.boot");
      assertId(snapshotId, c, "snapshotId");
      const boot = readBootOptions(given, c, { ttlPause: true });
      // One deadline for the whole boot: the create request (and the search for what a slow
      // one made) and the wait for ready.
      const deadline = Date.now() + (boot.timeoutMs ?? options.bootTimeoutMs);
      const marker = randomUUID();
      const created = await client.create({
        method: "POST",
        path: pathOf("snapshot", snapshotId, "boot"),
        operation: c.operation,
        json: bootBody(boot, marker),
        schema: instanceModelSchema,
        ...(boot.signal ? { signal: boot.signal } : {}),
        recover: async () => (await listModels({ [REQUEST_MARKER_KEY]: marker }, c.operation))[0],
        recoverUntil: deadline,
      });
      const [instance] = await waitReady([created.id], c.operation, Math.max(0, deadline - Date.now()), boot.signal);
      return booted(instance!);
    },

    async get(instanceId: string): Promise<VMInstance> {
      assertId(instanceId, ctx("instances.get"), "instanceId");
      return toVMInstance(await getModel(instanceId, "instances.get"));
    },

    async list(given?: InstanceFilters): Promise<VMInstance[]> {
      const c = ctx("instances.list");
      const filters = readInstanceFilters(given, c);
      // Metadata is re-checked in listModels; the status filter is the client's alone.
      const status = filters.status === undefined ? {} : { status: filters.status };
      return (await listModels(filters.metadata, c.operation)).map(toVMInstance).filter((instance) => matchesInstanceFilters(instance, status));
    },

    async stop(instanceId: string): Promise<void> {
      const c = ctx("instances.stop");
      assertId(instanceId, c, "instanceId");
      // Morph's DELETE deletes; pausing is what keeps the machine (and its files). The mark
      // first, so a stopped instance is never seen as merely paused (and resumed).
      await setStopMark(instanceId, c.operation, true);
      await pauseModel(instanceId, c.operation);
    },

    async pause(instanceId: string): Promise<void> {
      const c = ctx("instances.pause");
      assertId(instanceId, c, "instanceId");
      const model = await getModel(instanceId, c.operation);
      const status = instanceStatusOf(model);
      if (status === "paused") return;
      if (status !== "ready") throw new VMError("CONFLICT", `instance ${instanceId} is ${status}; only a ready instance can be paused`, c);
      // A stop() that failed after its mark (its pause never landed) left the mark: this pause
      // must not read as a stop.
      if (model.metadata?.[STOPPED_KEY] === "1") {
        await setStopMark(instanceId, c.operation, false);
      }
      await settled(instanceId, c.operation, "paused", () => pauseModel(instanceId, c.operation));
    },

    async resume(instanceId: string): Promise<void> {
      const c = ctx("instances.resume");
      assertId(instanceId, c, "instanceId");
      const status = instanceStatusOf(await getModel(instanceId, c.operation));
      if (status === "ready") return;
      if (status !== "paused") throw new VMError("CONFLICT", `instance ${instanceId} is ${status}; only a paused instance can be resumed`, c);
      await settled(instanceId, c.operation, "ready", () => client.request({ method: "POST", path: pathOf("instance", instanceId, "resume"), operation: c.operation, schema: instanceModelSchema, idempotent: true }));
    },

    async expose(instanceId, port, given) {
      const c = ctx("instances.expose");
      const call = readExposeCall(instanceId, port, given, c);
      const model = await client.request({
        method: "POST",
        path: pathOf("instance", instanceId, "http"),
        operation: c.operation,
        json: { name: call.name, port: call.port, auth_mode: call.auth },
        schema: instanceModelSchema,
        // The same name and port again is the same service: safe to retry.
        idempotent: true,
      });
      const service = model.networking?.http_services?.find((s) => s.name === call.name);
      if (!service) throw new VMError("INTERNAL", `Morph accepted service ${JSON.stringify(call.name)} but does not list it`, c);
      return toExposedService(service);
    },

    async unexpose(instanceId, name) {
      const c = ctx("instances.unexpose");
      assertId(instanceId, c, "instanceId");
      assertServiceName(name, c);
      // A 404 on a retry means the first attempt did it (its answer was lost); on the first, NOT_FOUND.
      await client.request({ method: "DELETE", path: pathOf("instance", instanceId, "http", name), operation: c.operation, schema: instanceModelSchema, idempotent: true, goneIsSuccess: true });
    },

    terminate: (instanceId: string) => terminate(instanceId),

    async fork(instanceId: string, count: number): Promise<BootedInstance[]> {
      const c = ctx("instances.fork");
      assertId(instanceId, c, "instanceId");
      assertInteger(count, c, "count", 1, MAX_FORK_COUNT);
      await getModel(instanceId, c.operation);
      await options.beforeFork?.(instanceId);
      const deadline = Date.now() + options.bootTimeoutMs;
      const marker = randomUUID();
      const answer = await client.create<{ instances: InstanceModel[] }>({
        method: "POST",
        path: pathOf("instance", instanceId, "branch"),
        operation: c.operation,
        searchParams: new URLSearchParams({ count: String(count) }),
        json: {
          snapshot_metadata: { [REQUEST_MARKER_KEY]: marker, [BRANCH_KEY]: instanceId },
          instance_metadata: { [REQUEST_MARKER_KEY]: marker, [BRANCH_KEY]: instanceId },
        },
        schema: branchInstanceResponseSchema,
        recover: async () => {
          const found = await listModels({ [REQUEST_MARKER_KEY]: marker }, c.operation);
          return found.length >= count ? { instances: found } : undefined;
        },
        recoverUntil: deadline,
      });
      const ids = answer.instances.map((instance) => instance.id);
      const instances = await waitReady(ids, c.operation, Math.max(0, deadline - Date.now()));
      return instances.map(booted);
    },

    exec: (instanceId, argv, execOptions) => execOnce(execDeps, instanceId, argv, execOptions),
    execStream: (instanceId, argv, execOptions) => execStream(execDeps, instanceId, argv, execOptions),
  };
}
