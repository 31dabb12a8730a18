import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { timingSafeEqual } from "node:crypto";
import type { VMProvider } from "@vm/core";
import { isVMError } from "@vm/provider-kit";
import type { z } from "zod";
import { createFaultQueue, faultsBodySchema, type Fault, type FaultQueue } from "./faults.js";
import { DEFAULT_SPEC, newId, nowSeconds, type ExpireAction, type ImageModel, type InstanceModel, type SnapshotModel } from "./models.js";
import {
  bootInstanceRequestSchema,
  branchInstanceRequestSchema,
  createSnapshotRequestSchema,
  execRequestSchema,
  snapshotInstanceRequestSchema,
  startInstanceRequestSchema,
  toValidationDetail,
  type ValidationErrorItem,
} from "./validation.js";

/**
 * An image the emulator offers (`GET /image`), backed by a Docker image reference.
 *
 * @example
 * ```ts
 * import type { EmulatorImage } from "@vm/morph-emulator";
 * const image: EmulatorImage = { id: "morphvm-minimal", name: "morphvm-minimal", reference: "vm-base:dev" };
 * ```
 */
export interface EmulatorImage {
  id: string;
  name: string;
  description?: string;
  /** What the backend's `snapshots.fromImage()` gets, e.g. a Docker image reference. */
  reference: string;
}

/**
 * One request/answer pair, as recorded for the faithfulness test.
 *
 * @example
 * ```ts
 * import type { RecordedExchange } from "@vm/morph-emulator";
 * const seen: RecordedExchange[] = [];
 * ```
 */
export interface RecordedExchange {
  method: string;
  /** The spec's path template, e.g. `/instance/{instance_id}`. */
  route: string;
  path: string;
  status: number;
  contentType: string | undefined;
  /** Parsed JSON, the raw SSE text, or undefined for an empty answer. */
  body: unknown;
}

/**
 * Options of `createMorphEmulator()`.
 *
 * @example
 * ```ts
 * import type { MorphEmulatorOptions } from "@vm/morph-emulator";
 * import type { VMProvider } from "@vm/core";
 * declare const backend: VMProvider;
 * const options: MorphEmulatorOptions = { apiKey: "dev-key", backend, images: [{ id: "morphvm-minimal", name: "minimal", reference: "vm-base:dev" }] };
 * ```
 */
export interface MorphEmulatorOptions {
  /** The one Bearer key accepted. */
  apiKey: string;
  /** Where instances really run (the Docker provider). */
  backend: VMProvider;
  images: EmulatorImage[];
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  log?: (line: string) => void;
  /** Sees every answer under /api (used by the faithfulness test). */
  onExchange?: (exchange: RecordedExchange) => void;
}

/**
 * A running (or ready to run) emulator.
 *
 * @example
 * ```ts
 * import { createMorphEmulator } from "@vm/morph-emulator";
 * import type { VMProvider } from "@vm/core";
 * declare const backend: VMProvider;
 * const emulator = createMorphEmulator({ apiKey: "dev-key", backend, images: [] });
 * await emulator.listen();
 * console.log(emulator.apiUrl);
 * await emulator.close();
 * ```
 */
export interface MorphEmulator {
  readonly server: Server;
  readonly faults: FaultQueue;
  /** `http://host:port` once listening. */
  readonly url: string;
  /** `http://host:port/api`, the base URL clients use. */
  readonly apiUrl: string;
  listen(): Promise<void>;
  /** Stops serving and removes every container and snapshot it made. */
  close(): Promise<void>;
}

interface InstanceRecord {
  model: InstanceModel;
  backendId?: string;
  ready: Promise<void>;
  ttlTimer?: NodeJS.Timeout;
}

interface SnapshotRecord {
  model: SnapshotModel;
  backendId?: string;
  ready: Promise<void>;
  /** Snapshots made from an image by this emulator are removed at shutdown. */
  owned: boolean;
}

type Answer = { status: number; json?: unknown; headers?: Record<string, string> } | { status: "stream" };

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const notFound = (what: string) => new HttpFailure(404, { detail: `${what} not found` });
const invalid = (detail: ValidationErrorItem[]) => new HttpFailure(422, { detail });

function fromBackend(err: unknown): HttpFailure {
  if (err instanceof HttpFailure) return err;
  if (isVMError(err)) {
    const e = err;
    const status =
      e.code === "NOT_FOUND" ? 404 : e.code === "CONFLICT" || e.code === "ALREADY_EXISTS" ? 409 : e.code === "INVALID_ARGUMENT" ? 422 : e.code === "TIMEOUT" ? 504 : e.code === "UNAVAILABLE" ? 503 : 500;
    if (status === 422) return invalid([{ loc: ["body"], msg: e.message, type: "value_error" }]);
    return new HttpFailure(status, { detail: e.message });
  }
  return new HttpFailure(500, { detail: "internal error" });
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: "body" | "query"): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(toValidationDetail(where, result.error.issues));
  return result.data;
}

// Bodies read ahead of a delay fault: a slow server has the request already, so handling it
// late must not depend on the client still being connected.
const bodiesReadAhead = new WeakMap<IncomingMessage, Promise<string>>();

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function readAhead(req: IncomingMessage): void {
  const body = readText(req);
  body.catch(() => undefined);
  bodiesReadAhead.set(req, body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await (bodiesReadAhead.get(req) ?? readText(req));
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid([{ loc: ["body", 0], msg: "JSON decode error", type: "json_invalid" }]);
  }
}

function metadataFilter(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of query) {
    const match = /^metadata\[(.+)\]$/.exec(key);
    // defineProperty, not assignment: `out["__proto__"] = v` would set the prototype and the
    // filter key would be silently dropped (the list would then return everything).
    if (match) Object.defineProperty(out, match[1]!, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function matches(metadata: Record<string, string> | null | undefined, filter: Record<string, string>): boolean {
  // Own keys only: `constructor`, `toString` etc. must be in the metadata, not on Object.prototype.
  const own = metadata ?? {};
  return Object.entries(filter).every(([k, v]) => Object.hasOwn(own, k) && own[k] === v);
}

function queryInt(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^-?\d+$/.test(raw)) throw invalid([{ loc: ["query", name], msg: "Input should be a valid integer, unable to parse string as an integer", type: "int_parsing" }]);
  return Number(raw);
}

function queryBool(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw invalid([{ loc: ["query", name], msg: "Input should be a valid boolean, unable to interpret input", type: "bool_parsing" }]);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A local emulator of Morph's REST API whose instances are real machines of `backend`.
 *
 * @example
 * ```ts
 * import { createMorphEmulator } from "@vm/morph-emulator";
 * import { createDockerVMProvider } from "@vm/provider-docker";
 * const emulator = createMorphEmulator({
 *   apiKey: "dev-key",
 *   backend: createDockerVMProvider({ labels: { "dev.vm.morph-emulator": "example" } }),
 *   images: [{ id: "morphvm-minimal", name: "morphvm-minimal", reference: "vm-base:dev" }],
 *   port: 3737,
 * });
 * await emulator.listen();
 * ```
 */
export function createMorphEmulator(options: MorphEmulatorOptions): MorphEmulator {
  const { backend } = options;
  const log = options.log ?? (() => undefined);
  const faults = createFaultQueue();
  const instances = new Map<string, InstanceRecord>();
  const snapshots = new Map<string, SnapshotRecord>();
  const startedAt = nowSeconds();
  const images: ImageModel[] = options.images.map((image) => ({
    id: image.id,
    object: "image",
    created: startedAt,
    name: image.name,
    description: image.description ?? null,
    disk_size: DEFAULT_SPEC.disk_size * 1024 * 1024,
  }));
  let closing = false;

  function instanceOf(id: string): InstanceRecord {
    const record = instances.get(id);
    if (!record) throw notFound(`Instance ${id}`);
    return record;
  }

  function snapshotOf(id: string): SnapshotRecord {
    const record = snapshots.get(id);
    if (!record || record.model.status === "deleted") throw notFound(`Snapshot ${id}`);
    return record;
  }

  async function readyInstance(id: string): Promise<InstanceRecord & { backendId: string }> {
    const record = instanceOf(id);
    await record.ready.catch(() => undefined);
    if (record.model.status === "paused") throw new HttpFailure(409, { detail: `Instance ${id} is paused` });
    if (record.model.status !== "ready" && record.model.status !== "saving") throw new HttpFailure(409, { detail: `Instance ${id} is not ready (${record.model.status})` });
    return record as InstanceRecord & { backendId: string };
  }

  function scheduleTtl(record: InstanceRecord): void {
    const seconds = record.model.ttl.ttl_seconds;
    if (seconds === null) return;
    record.ttlTimer = setTimeout(() => {
      const action = record.model.ttl.ttl_action;
      log(`ttl expired for ${record.model.id}: ${action}`);
      const work = action === "stop" ? deleteInstance(record.model.id) : pauseInstance(record.model.id);
      work.catch((err: unknown) => log(`ttl ${action} of ${record.model.id} failed: ${String(err)}`));
    }, seconds * 1000);
    record.ttlTimer.unref();
  }

  function bootFrom(snapshot: SnapshotRecord, metadata: Record<string, string>, ttlSeconds: number | null, ttlAction: ExpireAction): InstanceRecord {
    const id = newId("morphvm");
    const created = nowSeconds();
    const record: InstanceRecord = {
      model: {
        id,
        object: "instance",
        created,
        status: "pending",
        spec: { ...snapshot.model.spec },
        refs: { snapshot_id: snapshot.model.id, image_id: snapshot.model.refs.image_id },
        networking: { internal_ip: null, http_services: [] },
        metadata,
        ttl: { ttl_seconds: ttlSeconds, ttl_expire_at: ttlSeconds === null ? null : created + ttlSeconds, ttl_action: ttlAction },
        wake_on: { wake_on_ssh: false, wake_on_http: false },
      },
      ready: Promise.resolve(),
    };
    record.ready = (async () => {
      try {
        await snapshot.ready;
        if (!snapshot.backendId) throw new Error("snapshot has no backing image");
        const booted = await backend.instances.boot(snapshot.backendId, { metadata: { "morph-emulator-id": id } });
        record.backendId = booted.id;
        if (!instances.has(id)) {
          // Deleted while booting.
          await backend.instances.terminate(booted.id).catch(() => undefined);
          return;
        }
        record.model.status = "ready";
        record.model.networking.internal_ip = "127.0.0.1";
        // The TTL counts from when the machine is up, so a slow boot does not eat it.
        record.model.ttl.ttl_expire_at = ttlSeconds === null ? null : nowSeconds() + ttlSeconds;
        scheduleTtl(record);
      } catch (err) {
        record.model.status = "error";
        log(`boot of ${id} failed: ${String(err)}`);
      }
    })();
    instances.set(id, record);
    return record;
  }

  function newSnapshot(imageId: string, spec: SnapshotModel["spec"], digest: string | null, metadata: Record<string, string>, owned: boolean): SnapshotRecord {
    const record: SnapshotRecord = {
      model: { id: newId("snapshot"), object: "snapshot", created: nowSeconds(), status: "pending", spec, refs: { image_id: imageId }, digest, metadata },
      ready: Promise.resolve(),
      owned,
    };
    snapshots.set(record.model.id, record);
    return record;
  }

  function settle(record: SnapshotRecord, work: () => Promise<string>): void {
    record.ready = (async () => {
      try {
        record.backendId = await work();
        record.model.status = "ready";
      } catch (err) {
        record.model.status = "failed";
        log(`snapshot ${record.model.id} failed: ${String(err)}`);
      }
    })();
  }

  function byDigest(digest: string | null | undefined): SnapshotRecord | undefined {
    if (!digest) return undefined;
    return [...snapshots.values()].find((s) => s.model.digest === digest && s.model.status !== "deleted" && s.model.status !== "failed");
  }

  async function snapshotInstance(instanceId: string, digest: string | null, metadata: Record<string, string>): Promise<SnapshotRecord> {
    const existing = byDigest(digest);
    if (existing) return existing;
    const instance = await readyInstance(instanceId);
    const snapshot = newSnapshot(instance.model.refs.image_id, { ...instance.model.spec }, digest, metadata, true);
    instance.model.status = "saving";
    settle(snapshot, async () => {
      try {
        return (await backend.snapshots.create(instance.backendId, { metadata: { "morph-emulator-id": snapshot.model.id } })).id;
      } finally {
        if (instance.model.status === "saving") instance.model.status = "ready";
      }
    });
    return snapshot;
  }

  // Deletions still removing their container: a snapshot delete waits for them, or the
  // image would still be in use.
  const removals = new Set<Promise<void>>();

  async function deleteInstance(id: string): Promise<void> {
    const record = instanceOf(id);
    instances.delete(id);
    if (record.ttlTimer) clearTimeout(record.ttlTimer);
    const removal = (async () => {
      await record.ready.catch(() => undefined);
      if (record.backendId) {
        await backend.instances.terminate(record.backendId).catch((err: unknown) => {
          if (!(isVMError(err) && err.code === "NOT_FOUND")) throw err;
        });
      }
    })();
    removals.add(removal);
    try {
      await removal;
    } finally {
      removals.delete(removal);
    }
  }

  async function pauseInstance(id: string): Promise<InstanceModel> {
    const record = instanceOf(id);
    await record.ready.catch(() => undefined);
    if (record.model.status === "paused") return record.model;
    if (!record.backendId) throw new HttpFailure(409, { detail: `Instance ${id} is not running` });
    await backend.instances.stop(record.backendId);
    record.model.status = "paused";
    return record.model;
  }

  type Ctx = { params: string[]; query: URLSearchParams; req: IncomingMessage; res: ServerResponse; signal: AbortSignal; logged: LoggedRequest };
  type Handler = (ctx: Ctx) => Answer | Promise<Answer>;
  const routes: { method: string; template: string; re: RegExp; handler: Handler }[] = [];
  const route = (method: string, template: string, handler: Handler) => {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, "([^/]+)")}$`);
    routes.push({ method, template, re, handler });
  };

  route("GET", "/image", () => ({ status: 200, json: { object: "list", data: images } }));

  route("GET", "/snapshot", ({ query }) => {
    const filter = metadataFilter(query);
    const digest = query.get("digest");
    const data = [...snapshots.values()]
      .map((s) => s.model)
      .filter((m) => m.status !== "deleted" && matches(m.metadata, filter) && (digest === null || m.digest === digest));
    return { status: 200, json: { object: "list", data } };
  });

  route("POST", "/snapshot", async ({ req }) => {
    const body = parse(createSnapshotRequestSchema, (await readJson(req)) ?? {}, "body");
    const existing = byDigest(body.digest);
    if (existing) return { status: 200, json: existing.model };
    const imageId = body.image_id ?? "morphvm-minimal";
    const image = options.images.find((i) => i.id === imageId);
    if (!image) throw notFound(`Image ${imageId}`);
    const spec = { vcpus: body.vcpus ?? DEFAULT_SPEC.vcpus, memory: body.memory ?? DEFAULT_SPEC.memory, disk_size: body.disk_size ?? DEFAULT_SPEC.disk_size };
    const record = newSnapshot(imageId, spec, body.digest ?? null, body.metadata ?? {}, true);
    settle(record, async () => (await backend.snapshots.fromImage(image.reference, { metadata: { "morph-emulator-id": record.model.id } })).id);
    return { status: 200, json: record.model };
  });

  route("GET", "/snapshot/{snapshot_id}", ({ params }) => ({ status: 200, json: snapshotOf(params[0]!).model }));

  route("DELETE", "/snapshot/{snapshot_id}", async ({ params }) => {
    const record = snapshotOf(params[0]!);
    const users = [...instances.values()].filter((i) => i.model.refs.snapshot_id === record.model.id);
    if (users.length > 0) throw new HttpFailure(409, { detail: `Snapshot ${record.model.id} is used by ${users.length} instance(s)` });
    await record.ready.catch(() => undefined);
    await Promise.allSettled([...removals]);
    record.model.status = "deleting";
    try {
      if (record.backendId) await backend.snapshots.delete(record.backendId);
    } catch (err) {
      record.model.status = "ready";
      throw fromBackend(err);
    }
    snapshots.delete(record.model.id);
    return { status: 204 };
  });

  route("POST", "/snapshot/{snapshot_id}/boot", async ({ params, req }) => {
    const body = parse(bootInstanceRequestSchema, await readJson(req), "body");
    const snapshot = snapshotOf(params[0]!);
    const record = bootFrom(snapshot, body.metadata ?? {}, body.ttl_seconds ?? null, body.ttl_action ?? "stop");
    return { status: 200, json: record.model };
  });

  route("GET", "/instance", ({ query }) => {
    const filter = metadataFilter(query);
    return { status: 200, json: { object: "list", data: [...instances.values()].map((i) => i.model).filter((m) => matches(m.metadata, filter)) } };
  });

  route("POST", "/instance", async ({ query, req }) => {
    const snapshotId = query.get("snapshot_id");
    if (snapshotId === null) throw invalid([{ loc: ["query", "snapshot_id"], msg: "Field required", type: "missing" }]);
    const raw = await readJson(req);
    const body = raw === undefined || raw === null ? {} : parse(startInstanceRequestSchema, raw, "body");
    const record = bootFrom(snapshotOf(snapshotId), body.metadata ?? {}, body.ttl_seconds ?? null, body.ttl_action ?? "stop");
    return { status: 200, json: record.model };
  });

  route("GET", "/instance/{instance_id}", ({ params }) => ({ status: 200, json: instanceOf(params[0]!).model }));

  route("DELETE", "/instance/{instance_id}", async ({ params }) => {
    await deleteInstance(params[0]!);
    return { status: 204 };
  });

  route("POST", "/instance/{instance_id}/pause", async ({ params, query }) => {
    const takeSnapshot = queryBool(query, "snapshot") ?? true;
    const id = params[0]!;
    instanceOf(id);
    if (takeSnapshot) {
      const snapshot = await snapshotInstance(id, null, {});
      await snapshot.ready;
    }
    return { status: 200, json: await pauseInstance(id) };
  });

  route("POST", "/instance/{instance_id}/snapshot", async ({ params, query, req }) => {
    const raw = await readJson(req);
    const body = raw === undefined || raw === null ? {} : parse(snapshotInstanceRequestSchema, raw, "body");
    instanceOf(params[0]!);
    const snapshot = await snapshotInstance(params[0]!, query.get("digest"), body.metadata ?? {});
    return { status: 200, json: snapshot.model };
  });

  route("POST", "/instance/{instance_id}/branch", async ({ params, query, req }) => {
    const count = queryInt(query, "count", 1);
    if (count < 1) throw invalid([{ loc: ["query", "count"], msg: "Input should be greater than or equal to 1", type: "greater_than_equal" }]);
    const raw = await readJson(req);
    const body = raw === undefined || raw === null ? {} : parse(branchInstanceRequestSchema, raw, "body");
    instanceOf(params[0]!);
    const snapshot = await snapshotInstance(params[0]!, query.get("digest"), body.snapshot_metadata ?? {});
    await snapshot.ready;
    if (snapshot.model.status !== "ready") throw new HttpFailure(500, { detail: "branch snapshot failed" });
    const meta = body.instance_metadata;
    const created = Array.from({ length: count }, (_, i) => {
      const metadata = Array.isArray(meta) ? (meta[i] ?? {}) : (meta ?? {});
      return bootFrom(snapshot, { ...metadata }, null, "stop").model;
    });
    return { status: 200, json: { snapshot: snapshot.model, instances: created } };
  });

  route("POST", "/instance/{instance_id}/exec", async ({ params, req, signal, logged }) => {
    const body = parse(execRequestSchema, await readJson(req), "body");
    logged.program = programOf(body.command);
    const record = await readyInstance(params[0]!);
    if (body.command.length === 0) throw invalid([{ loc: ["body", "command"], msg: "List should have at least 1 item after validation, not 0", type: "too_short" }]);
    const result = await backend.instances.exec(record.backendId, body.command, { signal });
    return { status: 200, json: { stdout: result.stdout, stderr: result.stderr, exit_code: result.exit_code } };
  });

  route("POST", "/instance/{instance_id}/exec/sse", async ({ params, req, res, signal, logged }) => {
    const body = parse(execRequestSchema, await readJson(req), "body");
    logged.program = programOf(body.command);
    const record = await readyInstance(params[0]!);
    if (body.command.length === 0) throw invalid([{ loc: ["body", "command"], msg: "List should have at least 1 item after validation, not 0", type: "too_short" }]);
    const stream = backend.instances.execStream(record.backendId, body.command, { signal });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const transcript: string[] = [];
    const send = (event: unknown) => {
      const line = `data: ${JSON.stringify(event)}\n\n`;
      transcript.push(line);
      res.write(line);
    };
    try {
      for await (const chunk of stream) {
        if (signal.aborted) break;
        if (chunk.type === "exit") send({ type: "exit_code", content: chunk.exit_code });
        else send({ type: chunk.type, content: chunk.data });
      }
    } catch (err) {
      if (!signal.aborted) log(`exec/sse failed: ${String(err)}`);
    }
    res.end();
    options.onExchange?.({ method: "POST", route: "/instance/{instance_id}/exec/sse", path: req.url ?? "", status: 200, contentType: "text/event-stream", body: transcript.join("") });
    return { status: "stream" };
  });

  function send(res: ServerResponse, answer: { status: number; json?: unknown; headers?: Record<string, string> }): void {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = { ...(answer.headers ?? {}) };
    if (answer.json === undefined) {
      res.writeHead(answer.status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(answer.json);
    res.writeHead(answer.status, { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
  }

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === "/_admin/faults" && req.method === "POST") {
      const body = faultsBodySchema.safeParse(await readJson(req).catch(() => undefined));
      if (!body.success) return send(res, { status: 422, json: { detail: toValidationDetail("body", body.error.issues) } });
      faults.add(body.data.faults);
      return send(res, { status: 200, json: { faults: faults.pending() } });
    }
    if (path === "/_admin/faults" && req.method === "GET") return send(res, { status: 200, json: { faults: faults.pending() } });
    if (path === "/_admin/faults" && req.method === "DELETE") {
      faults.clear();
      return send(res, { status: 204 });
    }
    if (path === "/_admin/requests" && req.method === "GET") return send(res, { status: 200, json: { requests: requestLog } });
    if (path === "/_admin/requests" && req.method === "DELETE") {
      requestLog.length = 0;
      return send(res, { status: 204 });
    }
    return send(res, { status: 404, json: { detail: "Not Found" } });
  }

  /**
   * One request in the log. `program`, for an exec, is what it runs: `$0` of a `bash -c` / `sh -c`
   * script (the provider's wrapper is "vm-exec", its kill "vm-kill"), else argv[0]; set once the
   * body is read (a delayed request has none until it is handled), so a test can tell a kill
   * exec from a re-sent command.
   */
  type LoggedRequest = { method: string; path: string; route: string; program?: string };
  const requestLog: LoggedRequest[] = [];
  const programOf = (command: readonly string[]) => ((command[0] === "bash" || command[0] === "sh") && command[1] === "-c" ? command[3] : command[0]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const method = (req.method ?? "GET").toUpperCase();
    const auth = req.headers.authorization ?? "";
    const token = /^Bearer (.+)$/i.exec(auth)?.[1] ?? "";
    const authorized = token !== "" && safeEqual(token, options.apiKey);
    if (url.pathname.startsWith("/_admin/")) {
      if (!authorized) return send(res, { status: 401, json: { detail: "Invalid or missing API key" } });
      return admin(req, res, url.pathname);
    }
    if (!url.pathname.startsWith("/api/")) return send(res, { status: 404, json: { detail: "Not Found" } });
    const path = url.pathname.slice(4);
    const found = routes.find((r) => r.method === method && r.re.test(path));
    const template = found?.template ?? path;
    const record = (status: number, body: unknown, contentType: string | undefined) =>
      options.onExchange?.({ method, route: template, path, status, contentType, body });
    if (!authorized) {
      // FastAPI's HTTPBearer answers 401/403 with `{"detail": ...}`; never echo the key sent.
      const body = { detail: token === "" ? "Not authenticated" : "Invalid API key" };
      record(401, body, "application/json");
      return send(res, { status: 401, json: body, headers: { "www-authenticate": "Bearer" } });
    }
    if (!found) {
      const known = routes.some((r) => r.re.test(path));
      const body = { detail: known ? "Method Not Allowed" : "Not Found" };
      return send(res, { status: known ? 405 : 404, json: body });
    }
    const logged: LoggedRequest = { method, path, route: template };
    requestLog.push(logged);
    const fault: Fault | undefined = faults.take(method, path);
    if (fault?.kind === "drop") {
      log(`fault: dropping ${method} ${path}`);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      log(`fault: ${fault.status ?? 503} for ${method} ${path}`);
      const status = fault.status ?? 503;
      const body = fault.echo
        ? { detail: [{ loc: ["body"], msg: "Injected validation error", type: "value_error", input: (await readJson(req).catch(() => undefined)) ?? null }] }
        : { detail: status === 429 ? "Rate limit exceeded" : "Service unavailable (injected fault)" };
      return send(res, { status, json: body, headers: fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) } });
    }
    if (fault?.kind === "delay") {
      log(`fault: delaying ${method} ${path} by ${fault.delayMs ?? 1000} ms`);
      readAhead(req);
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
    }
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort(new Error("client went away"));
    });
    let answer: Answer;
    try {
      const match = found.re.exec(path)!;
      const params = match.slice(1).map((p) => decodeURIComponent(p));
      answer = await found.handler({ params, query: url.searchParams, req, res, signal: controller.signal, logged });
    } catch (err) {
      const failure = fromBackend(err);
      if (failure.status === 500 && !controller.signal.aborted) log(`error in ${method} ${path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      answer = { status: failure.status, json: failure.body };
    }
    if (answer.status === "stream") return;
    if (fault?.kind === "drop-after") {
      log(`fault: dropping the answer to ${method} ${path}`);
      req.socket.destroy();
      return;
    }
    record(answer.status, answer.json, answer.json === undefined ? undefined : "application/json");
    if ((fault?.kind === "cut-body" || fault?.kind === "stall-body") && answer.json !== undefined) {
      const text = JSON.stringify(answer.json);
      const half = Math.floor(text.length / 2);
      log(`fault: ${fault.kind} for ${method} ${path}`);
      res.writeHead(answer.status, { ...(answer.headers ?? {}), "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
      res.write(text.slice(0, half));
      if (fault.kind === "cut-body") {
        // Let the half reach the client before the connection goes.
        setTimeout(() => req.socket.destroy(), 50);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
      if (!res.destroyed) res.end(text.slice(half));
      return;
    }
    send(res, answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`unhandled: ${String(err)}`);
      send(res, { status: 500, json: { detail: "internal error" } });
    });
  });

  let address = "";
  return {
    server,
    faults,
    get url() {
      return address;
    },
    get apiUrl() {
      return `${address}/api`;
    },
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      const info = server.address() as AddressInfo;
      address = `http://${options.host ?? "127.0.0.1"}:${info.port}`;
    },
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      const ids = [...instances.keys()];
      await Promise.allSettled(ids.map((id) => deleteInstance(id)));
      for (const record of [...snapshots.values()].reverse()) {
        await record.ready.catch(() => undefined);
        if (record.backendId && record.owned) await backend.snapshots.delete(record.backendId).catch((err: unknown) => log(`cleanup of ${record.model.id} failed: ${String(err)}`));
      }
      snapshots.clear();
      await closed;
    },
  };
}
