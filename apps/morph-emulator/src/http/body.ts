import type { IncomingMessage } from "node:http";
import { invalid } from "./failure.js";

// Bodies read ahead of a delay fault: a slow server has the request already, so handling it
// late must not depend on the client still being connected.
const bodiesReadAhead = new WeakMap<IncomingMessage, Promise<string>>();

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts reading the request's body now, for a later `readJson`. */
export function readAhead(req: IncomingMessage): void {
  const body = readText(req);
  body.catch(() => undefined);
  bodiesReadAhead.set(req, body);
}

/** A required JSON body: none at all is the spec's 422, as FastAPI answers it. */
export async function readRequiredJson(req: IncomingMessage): Promise<unknown> {
  const body = await readJson(req);
  if (body === undefined) throw invalid([{ loc: ["body"], msg: "Field required", type: "missing" }]);
  return body;
}

/** The request's JSON body (`undefined` when empty); bad JSON is the spec's 422. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await (bodiesReadAhead.get(req) ?? readText(req));
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid([{ loc: ["body", 0], msg: "JSON decode error", type: "json_invalid" }]);
  }
}
