import type { IncomingMessage, ServerResponse } from "node:http";
import type { VMProvider } from "@vm/core";
import { send } from "../http/send.js";
import type { Store } from "../state/store.js";
import { PROXY_SCRIPT } from "./proxy-script.js";

/** Bounds of one proxied request. */
export const PROXY_LIMITS = { requestBytes: 1024 * 1024, responseBytes: 8 * 1024 * 1024, timeoutMs: 30_000 } as const;

/** Where exposed services are served, below the emulator's own URL. */
export const SERVICES_PREFIX = "/_services/";

// Hop-by-hop headers, and what fetch sets itself or refuses; `authorization` is the emulator's
// key for `api_key` services, not the service's.
const DROPPED_REQUEST = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "expect", "authorization", "proxy-connection", "te", "trailer"]);
// fetch inside the instance already decoded the body, and the length is ours to set.
const DROPPED_RESPONSE = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"]);

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

type ProxyOutcome = { status: number; headers: [string, string][]; body: string } | { error: string };

/**
 * Serves `/_services/<instance_id>/<service name>/<path>`: the request runs inside the
 * instance (`node -e`, through the backend's exec) against the service's port on the
 * instance's loopback. Nothing connects to a container address.
 */
export async function serveHttpService(req: IncomingMessage, res: ServerResponse, url: URL, authorized: boolean, store: Store, backend: VMProvider): Promise<void> {
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
  const request = {
    port: service.port,
    method: req.method ?? "GET",
    path: `/${rest.join("/")}${url.search}`,
    headers,
    body: body.length > 0 ? body.toString("base64") : "",
    timeoutMs: PROXY_LIMITS.timeoutMs,
    maxBytes: PROXY_LIMITS.responseBytes,
  };
  let outcome: ProxyOutcome;
  try {
    const result = await backend.instances.exec(record.backendId, ["node", "-e", PROXY_SCRIPT], { stdin: JSON.stringify(request), timeoutMs: PROXY_LIMITS.timeoutMs + 5_000 });
    outcome = JSON.parse(result.stdout) as ProxyOutcome;
  } catch {
    return send(res, { status: 502, json: { detail: "the proxy failed in the instance (it needs node there)" } });
  }
  if ("error" in outcome) return send(res, { status: 502, json: { detail: `service ${service.name}: ${outcome.error}` } });
  const answer = Buffer.from(outcome.body, "base64");
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of outcome.headers) {
    if (DROPPED_RESPONSE.has(key)) continue;
    const prior = out[key];
    out[key] = prior === undefined ? value : [...(Array.isArray(prior) ? prior : [prior]), value];
  }
  if (res.headersSent || res.destroyed) return;
  res.writeHead(outcome.status, { ...out, "content-length": String(answer.length) });
  res.end(answer);
}
