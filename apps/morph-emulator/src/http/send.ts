import type { ServerResponse } from "node:http";
import type { JsonAnswer } from "./router.js";

/** Writes a JSON (or empty) answer, unless one was already sent or the client is gone. */
export function send(res: ServerResponse, answer: JsonAnswer): void {
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
