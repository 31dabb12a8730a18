import { subscribe } from "node:diagnostics_channel";

/** One HTTP request a client in this process started. */
export interface RequestRecord {
  transport: "http" | "fetch";
  method: string;
  /** Path with ids replaced by `{id}` so equal operations compare equal. */
  route: string;
}

/** What one operation cost on the wire. */
export interface CallCount {
  /** HTTP requests (Docker API over node:http, Morph API over fetch). */
  requests: number;
  /** Remote operations that do work in the VM: Docker exec sessions + archive transfers, or Morph exec calls. */
  apiCalls: number;
  /** Routes, in order, for the report. */
  routes: string[];
}

const records: RequestRecord[] = [];
let installed = false;

const ID = /\/(?:(?:sha256:)?[0-9a-f]{12,64}|(?:morphvm|snapshot|snap|inst|instance|vm)_[A-Za-z0-9_-]+)(?=\/|$|\?)/g;

function routeOf(path: string): string {
  const noQuery = path.split("?")[0] ?? path;
  // Docker paths start with an API version (/v1.41/...); drop it so routes read the same with or without.
  return noQuery.replace(/^\/v\d+\.\d+\//, "/").replace(ID, "/{id}");
}

/**
 * Count every HTTP request this process starts, at the client: node:http (dockerode / docker-modem,
 * including hijacked exec starts) and fetch (undici, used by the Morph provider). Uses Node's
 * diagnostics channels, so nothing in the code under test is wrapped or changed.
 *
 * @example
 * ```ts
 * installRequestCounter();
 * const { count } = await countRequests(() => provider.instances.exec(id, ["true"]));
 * ```
 */
export function installRequestCounter(): void {
  if (installed) return;
  installed = true;
  // `created` also fires for hijacked (Upgrade) requests such as an exec start with stdin, which
  // never reach `start`; `start` covers Node versions without `created`. A request is counted once.
  const seen = new WeakSet<object>();
  const onHttp = (message: unknown) => {
    const { request } = message as { request: { method?: string; path?: string } };
    if (seen.has(request)) return;
    seen.add(request);
    records.push({ transport: "http", method: request.method ?? "?", route: routeOf(request.path ?? "") });
  };
  subscribe("http.client.request.created", onHttp);
  subscribe("http.client.request.start", onHttp);
  subscribe("undici:request:create", (message) => {
    const { request } = message as { request: { method?: string; path?: string } };
    records.push({ transport: "fetch", method: request.method ?? "?", route: routeOf(request.path ?? "") });
  });
}

/** Requests recorded so far (a cursor for `requestsSince`). */
export function requestCursor(): number {
  return records.length;
}

/** Whether a request does work in the VM (as opposed to polling, inspecting or streaming). */
export function isApiCall(r: RequestRecord): boolean {
  if (r.transport === "http") {
    if (r.method === "POST" && /^\/containers\/\{id\}\/exec$/.test(r.route)) return true;
    if ((r.method === "PUT" || r.method === "GET") && /^\/containers\/\{id\}\/archive$/.test(r.route)) return true;
    return false;
  }
  return r.method === "POST" && /\/exec(\/sse)?$/.test(r.route);
}

/** Requests since a cursor, summarised. */
export function requestsSince(cursor: number): CallCount {
  const slice = records.slice(cursor);
  return {
    requests: slice.length,
    apiCalls: slice.filter(isApiCall).length,
    routes: slice.map((r) => `${r.method} ${r.route}`),
  };
}

/**
 * Run `fn` alone and count the requests it made. Only meaningful when nothing else in the
 * process talks to the network at the same time (the harness runs one operation at a time).
 */
export async function countRequests<T>(fn: () => Promise<T>): Promise<{ value: T; count: CallCount }> {
  const cursor = requestCursor();
  const value = await fn();
  return { value, count: requestsSince(cursor) };
}
