import type { IncomingMessage, ServerResponse } from "node:http";
import type { Fault } from "./faults.js";
import { readAhead, readJson } from "./http/body.js";
import type { JsonAnswer } from "./http/router.js";
import { send } from "./http/send.js";

/**
 * Applies the faults that act before the request is handled: `drop`, `status` (answered
 * here) and `delay`. Returns true when the request was answered (or dropped).
 */
export async function applyFaultBefore(fault: Fault | undefined, req: IncomingMessage, res: ServerResponse, what: string, log: (line: string) => void): Promise<boolean> {
  if (fault?.kind === "drop") {
    log(`fault: dropping ${what}`);
    req.socket.destroy();
    return true;
  }
  if (fault?.kind === "status") {
    log(`fault: ${fault.status ?? 503} for ${what}`);
    const status = fault.status ?? 503;
    const body = fault.echo
      ? { detail: [{ loc: ["body"], msg: "Injected validation error", type: "value_error", input: (await readJson(req).catch(() => undefined)) ?? null }] }
      : { detail: status === 429 ? "Rate limit exceeded" : "Service unavailable (injected fault)" };
    send(res, { status, json: body, headers: fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) } });
    return true;
  }
  if (fault?.kind === "delay") {
    log(`fault: delaying ${what} by ${fault.delayMs ?? 1000} ms`);
    readAhead(req);
    await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
  }
  return false;
}

/**
 * Sends the handled request's answer under the faults that act after the work: `drop-after`
 * (no answer, and `onAnswer` is not called), `cut-body` and `stall-body` (half the body, then a broken or late rest).
 */
export async function answerUnderFault(fault: Fault | undefined, req: IncomingMessage, res: ServerResponse, answer: JsonAnswer, what: string, log: (line: string) => void, onAnswer: () => void): Promise<void> {
  if (fault?.kind === "drop-after") {
    log(`fault: dropping the answer to ${what}`);
    req.socket.destroy();
    return;
  }
  onAnswer();
  if ((fault?.kind === "cut-body" || fault?.kind === "stall-body") && answer.json !== undefined) {
    const text = JSON.stringify(answer.json);
    const half = Math.floor(text.length / 2);
    log(`fault: ${fault.kind} for ${what}`);
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
