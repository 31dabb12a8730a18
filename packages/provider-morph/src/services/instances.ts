import { randomUUID } from "node:crypto";
import type {
  BootedInstance,
  BootOptions,
  ExecOptions,
  ExecResult,
  ExecStreamChunk,
  InstanceFilters,
  Logger,
  VMInstance,
  VMInstanceService,
} from "@vm/core";
import { VMError, assertCommandSize, assertId, assertInteger, hasVMErrorCode, isVMError, matchesInstanceFilters, matchesMetadata, readBootOptions, readExecCall, readInstanceFilters } from "@vm/provider-kit";
import { createParser } from "eventsource-parser";
import { metadataQuery, pathOf, type MorphClient } from "../api-client/base-client.js";
import { MORPH_DEFAULT_MAX_EVENT_BYTES } from "../api-client/body.js";
import { BRANCH_KEY, REQUEST_MARKER_KEY, morphTtlAction, toVMInstance } from "../api-client/mappers.js";
import {
  branchInstanceResponseSchema,
  execResponseSchema,
  execSseEventSchema,
  instanceModelCollectionSchema,
  instanceModelSchema,
  type ExecResponse,
  type InstanceModel,
} from "../api-client/schemas.js";
import { buildExecCommand, buildExecKillCommand, needsWrapper, takeTimeoutMarker, EXEC_TIMEOUT_MARKER } from "../exec/wrapper-script.js";

const PROVIDER = "morph";
// How long the follow-up exec that kills an aborted or timed-out command may take, retries included.
const KILL_BUDGET_MS = 10_000;

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
  /** Called before a fork so PM2's process list travels with the branch. */
  beforeFork?: (instanceId: string) => Promise<void>;
  logger?: Logger;
}

function ctx(operation: string) {
  return { provider: PROVIDER, operation };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Morph's exec takes one argv: env entries and stdin (base64) travel in it as the wrapper's
// arguments, so they count against the kernel's argument limit together with argv.
const COMMAND_WHAT = "argv, env and stdin (as base64) in the exec command";

/**
 * The parts of a wrapped exec command that must never reach an error, should the server echo
 * the request: its `NAME=value` env entries and its stdin chunks (base64). Layout:
 * `bash -c SCRIPT vm-exec cwd user timeout N M killId <N env> <M stdin> argv...`.
 */
function execSecrets(command: readonly string[], wrapped: boolean): string[] {
  if (!wrapped) return [];
  return command.slice(10, 10 + Number(command[7]) + Number(command[8]));
}

/**
 * `VMInstanceService` over Morph's instance endpoints (see the README's mapping table).
 */
export function createMorphInstanceService(options: MorphInstanceServiceOptions): VMInstanceService {
  const { client } = options;
  const maxEventBytes = options.maxEventBytes ?? MORPH_DEFAULT_MAX_EVENT_BYTES;

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

  function booted(instance: VMInstance): BootedInstance {
    return {
      ...instance,
      [Symbol.asyncDispose]: async () => {
        try {
          await terminate(instance.id);
        } catch (err) {
          if (!hasVMErrorCode(err, "NOT_FOUND")) throw err;
        }
      },
    };
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
          const model = await getModel(id, operation, signal);
          if (model.status === "ready") ready.set(id, toVMInstance(model));
          else if (model.status === "error") throw new VMError("UNAVAILABLE", `instance ${id} failed to boot`, ctx(operation));
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

  // Morph has no kill endpoint and a client abort only drops the HTTP request: a second exec
  // kills what the first one started (see EXEC_KILL_SCRIPT). Best effort, bounded, never throws.
  async function killCommand(instanceId: string, killId: string, operation: string): Promise<void> {
    try {
      await client.request({
        method: "POST",
        path: pathOf("instance", instanceId, "exec"),
        operation,
        json: { command: buildExecKillCommand(killId) },
        schema: execResponseSchema,
        // Killing twice is harmless, so this one may be re-sent.
        idempotent: true,
        signal: AbortSignal.timeout(KILL_BUDGET_MS),
        timeoutMs: KILL_BUDGET_MS,
      });
    } catch (err) {
      options.logger?.warn("morph: could not kill an aborted or timed-out command", { instanceId, operation, code: isVMError(err) ? err.code : "INTERNAL" });
    }
  }

  function bootBody(boot: BootOptions, marker: string): Record<string, unknown> {
    return {
      metadata: { ...(boot.metadata ?? {}), [REQUEST_MARKER_KEY]: marker },
      ...(boot.ttl_seconds === undefined ? {} : { ttl_seconds: boot.ttl_seconds, ttl_action: morphTtlAction(boot.ttl_action ?? "stop") }),
    };
  }

  async function exec(instanceId: string, givenArgv: readonly string[], givenOptions?: ExecOptions): Promise<ExecResult> {
    const c = ctx("instances.exec");
    const { argv, options: execOptions } = readExecCall(instanceId, givenArgv, givenOptions, c);
    const limit = execOptions?.timeoutMs;
    // The command gets a kill id whenever the call can give up on it (a signal, a time limit,
    // the HTTP timeout), so an abort or a timeout kills it in the VM, or stops it from starting
    // when its request arrives late: the request alone ending does neither, on Morph. Without
    // one, a call that failed with TIMEOUT could still have run its command after the fact.
    const canGiveUp = execOptions?.signal !== undefined || limit !== undefined || options.execTimeoutMs !== false;
    const killId = canGiveUp ? randomUUID() : undefined;
    const command = buildExecCommand(argv, execOptions, killId);
    assertCommandSize(command, undefined, c, COMMAND_WHAT);
    const redact = execSecrets(command, needsWrapper(execOptions) || killId !== undefined);
    let result: ExecResponse;
    try {
      result = await client.request({
        method: "POST",
        path: pathOf("instance", instanceId, "exec"),
        operation: c.operation,
        json: { command },
        redact,
        schema: execResponseSchema,
        // A command may have side effects: exec is never re-sent.
        idempotent: false,
        ...(execOptions?.signal ? { signal: execOptions.signal } : {}),
        timeoutMs: limit === undefined ? options.execTimeoutMs : limit + 15_000,
      });
    } catch (err) {
      if (killId !== undefined && hasVMErrorCode(err, "ABORTED", "TIMEOUT")) await killCommand(instanceId, killId, c.operation);
      throw err;
    }
    if (limit !== undefined) {
      const { timedOut, stderr } = takeTimeoutMarker(result.stderr);
      if (timedOut && result.exit_code === 124) {
        // The wrapper killed the command and what held its output; a child that left both
        // (setsid, output redirected) carries the tag still: nothing may run on after TIMEOUT.
        if (killId !== undefined) await killCommand(instanceId, killId, c.operation);
        throw new VMError("TIMEOUT", `command ran longer than ${limit} ms and was killed`, c);
      }
      return { stdout: result.stdout, stderr, exit_code: result.exit_code };
    }
    return { stdout: result.stdout, stderr: result.stderr, exit_code: result.exit_code };
  }

  // Validates at the call, like every provider: bad input fails before the first `next()`.
  function execStream(instanceId: string, givenArgv: readonly string[], givenOptions?: ExecOptions): AsyncIterable<ExecStreamChunk> {
    const c = ctx("instances.execStream");
    const { argv, options: execOptions } = readExecCall(instanceId, givenArgv, givenOptions, c);
    // Every stream gets a kill id: closing it early (break, error, abort, timeout) aborts the
    // request and then kills the command with a second exec.
    const killId = randomUUID();
    const command = buildExecCommand(argv, execOptions, killId);
    assertCommandSize(command, undefined, c, COMMAND_WHAT);
    return streamChecked(instanceId, command, killId, execOptions, c);
  }

  async function* streamChecked(instanceId: string, command: string[], killId: string, execOptions: ExecOptions | undefined, c: ReturnType<typeof ctx>): AsyncIterable<ExecStreamChunk> {
    const controller = new AbortController();
    const outer = execOptions?.signal;
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener("abort", onAbort, { once: true });
    // Whether the command may be running: the request went out and was not refused with a status.
    let mayRun = true;
    const queue: ExecStreamChunk[] = [];
    let exitSeen = false;
    let timedOut = false;
    let stderrTail = "";
    let bad: VMError | undefined;
    // Bytes fed since the last complete event: what the parser may be holding. A line (or an
    // event) that never ends would otherwise grow it without bound.
    let pending = 0;
    const parser = createParser({
      onEvent: (event) => {
        pending = 0;
        let data: unknown;
        try {
          data = JSON.parse(event.data);
        } catch {
          bad = new VMError("INTERNAL", "exec/sse sent an event that is not JSON", c);
          return;
        }
        const parsed = execSseEventSchema.safeParse(data);
        if (!parsed.success) {
          bad = new VMError("INTERNAL", "exec/sse sent an event that does not match the spec", { ...c, cause: parsed.error.issues });
          return;
        }
        const ev = parsed.data;
        if (ev.type === "exit_code") {
          exitSeen = true;
          if (timedOut && ev.content === 124 && execOptions?.timeoutMs !== undefined) {
            bad = new VMError("TIMEOUT", `command ran longer than ${execOptions.timeoutMs} ms and was killed`, c);
            // Not an exit the caller sees: the finally below kills what may be left (see exec).
            exitSeen = false;
            return;
          }
          queue.push({ type: "exit", exit_code: ev.content });
        } else if (ev.type === "stderr" && execOptions?.timeoutMs !== undefined) {
          // The marker may arrive split over several chunks: watch the tail of stderr.
          stderrTail = (stderrTail + ev.content).slice(-EXEC_TIMEOUT_MARKER.length);
          timedOut = stderrTail === EXEC_TIMEOUT_MARKER;
          queue.push({ type: "stderr", data: ev.content });
        } else {
          queue.push({ type: ev.type, data: ev.content });
        }
      },
    });
    try {
      const response = await client
        .stream({
          method: "POST",
          path: pathOf("instance", instanceId, "exec", "sse"),
          operation: c.operation,
          json: { command },
          redact: execSecrets(command, true),
          signal: controller.signal,
          timeoutMs: execOptions?.timeoutMs === undefined ? options.execTimeoutMs : execOptions.timeoutMs + 15_000,
        })
        .catch((err: unknown) => {
          // A status answer (429, 5xx, 4xx) means the command was not started; a reset before
          // the answer cannot tell, and an abort or timeout may leave it starting late.
          if (isVMError(err) && (err.cause as { status?: unknown } | undefined)?.status !== undefined) mayRun = false;
          throw err;
        });
      const decoder = new TextDecoder();
      try {
        for (;;) {
          // The client's reader bounds each read by the call's timeout and signal (VMErrors).
          const chunk = await response.read();
          if (chunk === undefined) break;
          pending += chunk.byteLength;
          parser.feed(decoder.decode(chunk, { stream: true }));
          if (bad) throw bad;
          if (pending > maxEventBytes) {
            throw new VMError("RESOURCE_EXHAUSTED", `exec/sse sent more than maxEventBytes (${maxEventBytes} bytes) without completing an event (${pending} bytes)`, c);
          }
          while (queue.length > 0) yield queue.shift()!;
          if (exitSeen) return;
        }
        parser.feed(decoder.decode());
        if (bad) throw bad;
        while (queue.length > 0) yield queue.shift()!;
        if (!exitSeen) throw new VMError("UNAVAILABLE", "the exec stream ended before the exit code", c);
      } finally {
        await response.cancel();
      }
    } finally {
      outer?.removeEventListener("abort", onAbort);
      controller.abort();
      if (!exitSeen && mayRun) await killCommand(instanceId, killId, c.operation);
    }
  }

  return {
    async boot(snapshotId: string, given?: BootOptions): Promise<BootedInstance> {
      const c = ctx("instances.boot");
      assertId(snapshotId, c, "snapshotId");
      const boot = readBootOptions(given, c);
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
      // Morph's DELETE deletes; pausing is what keeps the machine (and its files). No
      // snapshot is taken: it would be a hidden resource the caller never asked for.
      await client.request({
        method: "POST",
        path: pathOf("instance", instanceId, "pause"),
        operation: c.operation,
        searchParams: new URLSearchParams({ snapshot: "false" }),
        schema: instanceModelSchema,
        idempotent: true,
      });
    },

    terminate: (instanceId: string) => terminate(instanceId),

    async fork(instanceId: string, count: number): Promise<BootedInstance[]> {
      const c = ctx("instances.fork");
      assertId(instanceId, c, "instanceId");
      assertInteger(count, c, "count", 1, 64);
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

    exec,
    execStream,
  };
}
