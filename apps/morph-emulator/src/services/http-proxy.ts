import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ContainerEngine } from "../engine/container-engine.js";
import { send } from "../http/send.js";
import type { Store } from "../state/store.js";

/** Bounds of one proxied request (`upgradeSeconds`: the longest life of an upgraded connection, a WebSocket). */
export const PROXY_LIMITS = { requestBytes: 1024 * 1024, responseBytes: 8 * 1024 * 1024, timeoutMs: 30_000, upgradeSeconds: 600 } as const;

/**
 * The tunnels open for each exposed service (`<instance id>/<name>`), so hiding a service
 * ends its connections at once, as the contract asks (`unexpose`).
 */
export class ServiceConnections {
  readonly #open = new Map<string, Set<Duplex>>();

  track(instanceId: string, name: string, tunnel: Duplex): void {
    const key = `${instanceId}/${name}`;
    const set = this.#open.get(key) ?? new Set<Duplex>();
    set.add(tunnel);
    this.#open.set(key, set);
    tunnel.on("close", () => {
      set.delete(tunnel);
      if (set.size === 0 && this.#open.get(key) === set) this.#open.delete(key);
    });
  }

  /** Ends every connection of one service. */
  close(instanceId: string, name: string): void {
    for (const tunnel of this.#open.get(`${instanceId}/${name}`) ?? []) tunnel.destroy();
  }
}

/** Where exposed services are served, below the emulator's own URL. */
export const SERVICES_PREFIX = "/_services/";

// Hop-by-hop headers, and what the proxy sets itself (the request body is read whole, so its
// length is ours to set); `authorization` is the emulator's key for `api_key` services, not the
// service's.
const DROPPED_REQUEST = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "expect", "authorization", "proxy-connection", "te", "trailer"]);
// Hop-by-hop: the emulator's own connection to the client decides these.
const DROPPED_RESPONSE = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "trailer", "upgrade"]);

async function readCapped(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Serves `/_services/<instance_id>/<service name>/<path>`: the request goes to the service's
 * port on the instance's loopback through a tunnel over the engine (`ContainerEngine.connect`,
 * which needs only bash in the instance). Nothing connects to a container address. The answer
 * streams back as it comes, cut off past `PROXY_LIMITS.responseBytes`.
 */
export async function serveHttpService(req: IncomingMessage, res: ServerResponse, url: URL, authorized: boolean, store: Store, engine: ContainerEngine, connections: ServiceConnections): Promise<void> {
  const target = await resolveService(url, authorized, store);
  if ("refusal" in target) return send(res, target.refusal);
  const { record, service, rest, backendId } = target;
  const body = await readCapped(req, PROXY_LIMITS.requestBytes);
  if (body === undefined) return send(res, { status: 413, json: { detail: `Request body over ${PROXY_LIMITS.requestBytes} bytes` } });
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined && !DROPPED_REQUEST.has(key)) headers[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  headers["content-length"] = String(body.length);
  let tunnel;
  try {
    tunnel = await engine.connect(backendId, { port: service.port, lifetimeSeconds: Math.ceil(PROXY_LIMITS.timeoutMs / 1000) + 5 });
  } catch (error) {
    return send(res, { status: 502, json: { detail: `service ${service.name}: the instance refused the tunnel (${(error as Error).message})` } });
  }
  const opened = tunnel;
  connections.track(record.model.id, service.name, opened);
  const upstream = await new Promise<IncomingMessage | Error>((resolve) => {
    // No agent: one connection per request, asked to close (the tunnel ends with it).
    const forward = httpRequest({ method: req.method ?? "GET", path: `/${rest.join("/")}${url.search}`, headers: { ...headers, host: `127.0.0.1:${service.port}` }, createConnection: () => opened, timeout: PROXY_LIMITS.timeoutMs });
    forward.on("response", resolve);
    forward.on("timeout", () => forward.destroy(new Error(`no answer within ${PROXY_LIMITS.timeoutMs} ms`)));
    forward.on("error", resolve);
    forward.end(body);
  });
  if (upstream instanceof Error) {
    opened.destroy();
    return send(res, { status: 502, json: { detail: `service ${service.name}: ${upstream.message}` } });
  }
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(upstream.headers)) {
    if (value !== undefined && !DROPPED_RESPONSE.has(key)) out[key] = value;
  }
  if (res.headersSent || res.destroyed) {
    opened.destroy();
    return;
  }
  res.writeHead(upstream.statusCode ?? 502, out);
  // An answer to HEAD has no body: whatever a service sends after the headers is not part of
  // it (and breaks Node's parser on the tunnel), so the answer is complete here.
  if ((req.method ?? "GET").toUpperCase() === "HEAD") {
    res.end();
    opened.destroy();
    return;
  }
  // Unexposed (or the instance went) while the answer streams: cut it. Registered only now: the
  // tunnel of a complete answer may close before this code runs, and an answer already ended is
  // left to flush.
  opened.on("close", () => {
    if (!res.writableEnded) res.destroy();
  });
  let size = 0;
  upstream.on("data", (chunk: Buffer) => {
    size += chunk.length;
    // Past the bound the answer is cut: the client sees a connection that ended early.
    if (size > PROXY_LIMITS.responseBytes) upstream.destroy(new Error("too large"));
  });
  await pipeline(upstream, res).catch(() => {
    res.destroy();
  });
  opened.destroy();
}

type ServiceRecord = NonNullable<ReturnType<Store["instances"]["get"]>>;
type Refusal = { status: number; json: unknown; headers?: Record<string, string> };

/** Finds the exposed service a `/_services/` URL names and checks it may be used now. */
async function resolveService(
  url: URL,
  authorized: boolean,
  store: Store,
): Promise<{ refusal: Refusal } | { record: ServiceRecord; service: { name: string; port: number }; rest: string[]; backendId: string }> {
  const [instanceId = "", name = "", ...rest] = url.pathname.slice(SERVICES_PREFIX.length).split("/");
  const record = store.instances.get(decodeURIComponent(instanceId));
  const service = record?.model.networking.http_services?.find((s) => s.name === decodeURIComponent(name));
  if (!record || !service) return { refusal: { status: 404, json: { detail: "Service not found" } } };
  if (service.auth_mode === "api_key" && !authorized) return { refusal: { status: 401, json: { detail: "Not authenticated" }, headers: { "www-authenticate": "Bearer" } } };
  // Wake-on-HTTP, as the instance's settings ask.
  if (record.model.status === "paused" && record.model.wake_on.wake_on_http) await store.resumeInstance(record.model.id);
  if (record.model.status !== "ready" || !record.backendId) return { refusal: { status: 502, json: { detail: `Instance ${record.model.id} is ${record.model.status}` } } };
  return { record, service, rest, backendId: record.backendId };
}

function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  const body = JSON.stringify(refusal.json);
  const extra = Object.entries(refusal.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.end(`HTTP/1.1 ${refusal.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${extra}\r\n${body}`);
}

/**
 * An upgrade (WebSocket) to an exposed service: the request head is sent on through a tunnel
 * as it came (the path without the `/_services/<id>/<name>` prefix, the service's own `host`,
 * the emulator's `authorization` dropped), then both directions are piped as raw bytes until
 * either side closes, the service is unexposed or `PROXY_LIMITS.upgradeSeconds` pass.
 */
export async function upgradeHttpService(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, authorized: boolean, store: Store, engine: ContainerEngine, connections: ServiceConnections): Promise<void> {
  socket.on("error", () => socket.destroy());
  const target = await resolveService(url, authorized, store);
  if ("refusal" in target) return refuseUpgrade(socket, target.refusal);
  const { record, service, rest, backendId } = target;
  let tunnel: Duplex;
  try {
    tunnel = await engine.connect(backendId, { port: service.port, lifetimeSeconds: PROXY_LIMITS.upgradeSeconds });
  } catch (error) {
    return refuseUpgrade(socket, { status: 502, json: { detail: `service ${service.name}: the instance refused the tunnel (${(error as Error).message})` } });
  }
  connections.track(record.model.id, service.name, tunnel);
  const lines = [`${req.method ?? "GET"} /${rest.join("/")}${url.search} HTTP/1.1`, `host: 127.0.0.1:${service.port}`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const key = req.rawHeaders[i]!;
    if (key.toLowerCase() === "host" || key.toLowerCase() === "authorization") continue;
    lines.push(`${key}: ${req.rawHeaders[i + 1]!}`);
  }
  tunnel.write(`${lines.join("\r\n")}\r\n\r\n`);
  if (head.length > 0) tunnel.write(head);
  tunnel.on("error", () => socket.destroy());
  tunnel.on("close", () => socket.destroy());
  socket.on("close", () => tunnel.destroy());
  socket.pipe(tunnel);
  tunnel.pipe(socket);
}
