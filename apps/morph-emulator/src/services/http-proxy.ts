import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { ContainerEngine } from "../engine/container-engine.js";
import { send } from "../http/send.js";
import type { Store } from "../state/store.js";

/** Bounds of one proxied request. */
export const PROXY_LIMITS = { requestBytes: 1024 * 1024, responseBytes: 8 * 1024 * 1024, timeoutMs: 30_000 } as const;

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
export async function serveHttpService(req: IncomingMessage, res: ServerResponse, url: URL, authorized: boolean, store: Store, engine: ContainerEngine): Promise<void> {
  const [instanceId = "", name = "", ...rest] = url.pathname.slice(SERVICES_PREFIX.length).split("/");
  const record = store.instances.get(decodeURIComponent(instanceId));
  const service = record?.model.networking.http_services?.find((s) => s.name === decodeURIComponent(name));
  if (!record || !service) return send(res, { status: 404, json: { detail: "Service not found" } });
  if (service.auth_mode === "api_key" && !authorized) return send(res, { status: 401, json: { detail: "Not authenticated" }, headers: { "www-authenticate": "Bearer" } });
  // Wake-on-HTTP, as the instance's settings ask.
  if (record.model.status === "paused" && record.model.wake_on.wake_on_http) await store.resumeInstance(record.model.id);
  if (record.model.status !== "ready" || !record.backendId) return send(res, { status: 502, json: { detail: `Instance ${record.model.id} is ${record.model.status}` } });
  const body = await readCapped(req, PROXY_LIMITS.requestBytes);
  if (body === undefined) return send(res, { status: 413, json: { detail: `Request body over ${PROXY_LIMITS.requestBytes} bytes` } });
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined && !DROPPED_REQUEST.has(key)) headers[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  headers["content-length"] = String(body.length);
  let tunnel;
  try {
    tunnel = await engine.connect(record.backendId, { port: service.port, lifetimeSeconds: Math.ceil(PROXY_LIMITS.timeoutMs / 1000) + 5 });
  } catch (error) {
    return send(res, { status: 502, json: { detail: `service ${service.name}: the instance refused the tunnel (${(error as Error).message})` } });
  }
  const opened = tunnel;
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
