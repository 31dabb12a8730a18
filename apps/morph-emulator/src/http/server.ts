import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { handleAdmin } from "../admin.js";
import { answerUnderFault, applyFaultBefore } from "../fault-effects.js";
import type { FaultQueue } from "../faults.js";
import type { RecordedExchange } from "../types.js";
import { fromBackend } from "./failure.js";
import type { Answer, LoggedRequest, Router } from "./router.js";
import { send } from "./send.js";

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface ServerOptions {
  apiKey: string;
  router: Router;
  faults: FaultQueue;
  requestLog: LoggedRequest[];
  log: (line: string) => void;
  onExchange?: (exchange: RecordedExchange) => void;
  /** Serves `/_services/...` (exposed HTTP services); `authorized`: the request carries the key. */
  services?: (req: IncomingMessage, res: ServerResponse, url: URL, authorized: boolean) => Promise<void>;
  /** Upgrades (WebSocket) to `/_services/...`. */
  upgrades?: (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, authorized: boolean) => Promise<void>;
}

/**
 * The HTTP server: Bearer auth, `/_admin/`, `/_services/` (exposed HTTP services, whose own
 * auth mode decides), and under `/api/` routing, the request log,
 * injected faults and error answers (a thrown `HttpFailure` or backend `VMError`).
 */
export function createEmulatorServer(options: ServerOptions): Server {
  const { router, faults, requestLog, log } = options;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const method = (req.method ?? "GET").toUpperCase();
    const { token, authorized } = authOf(req);
    if (url.pathname.startsWith("/_admin/")) {
      if (!authorized) return send(res, { status: 401, json: { detail: "Invalid or missing API key" } });
      return handleAdmin(req, res, url.pathname, faults, requestLog);
    }
    if (options.services && url.pathname.startsWith("/_services/")) return options.services(req, res, url, authorized);
    if (!url.pathname.startsWith("/api/")) return send(res, { status: 404, json: { detail: "Not Found" } });
    const path = url.pathname.slice(4);
    const found = router.find(method, path);
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
      const known = router.knows(path);
      const body = { detail: known ? "Method Not Allowed" : "Not Found" };
      return send(res, { status: known ? 405 : 404, json: body });
    }
    const logged: LoggedRequest = { method, path, route: template };
    requestLog.push(logged);
    const fault = faults.take(method, path);
    const what = `${method} ${path}`;
    if (await applyFaultBefore(fault, req, res, what, log)) return;
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
      if (failure.status === 500 && !controller.signal.aborted) log(`error in ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      answer = { status: failure.status, json: failure.body };
    }
    if (answer.status === "stream") return;
    const json = answer;
    await answerUnderFault(fault, req, res, json, what, log, () => record(json.status, json.json, json.json === undefined ? undefined : "application/json"));
  }

  function authOf(req: IncomingMessage): { token: string; authorized: boolean } {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
    return { token, authorized: token !== "" && safeEqual(token, options.apiKey) };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`unhandled: ${String(err)}`);
      send(res, { status: 500, json: { detail: "internal error" } });
    });
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://emulator");
    if (!options.upgrades || !url.pathname.startsWith("/_services/")) {
      socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
      return;
    }
    options.upgrades(req, socket, head, url, authOf(req).authorized).catch((err: unknown) => {
      log(`unhandled upgrade: ${String(err)}`);
      socket.destroy();
    });
  });
  return server;
}
