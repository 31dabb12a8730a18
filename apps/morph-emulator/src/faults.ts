import { z } from "zod";

/**
 * One injected fault, applied to the next `count` requests that match.
 *
 * - `status`: answer `status` (e.g. 429 or 503) without doing anything; `retryAfter`
 *   (seconds) sets the `Retry-After` header. With `echo`, the answer is a FastAPI-style
 *   validation error whose `input` is the request body, as pydantic v2 servers send: it shows
 *   whether a client keeps what it sent (secrets included) in its errors.
 * - `drop`: destroy the connection before doing anything.
 * - `drop-after`: do the work, then destroy the connection instead of answering (a lost answer).
 * - `delay`: wait `delayMs` before handling the request normally (a slow answer).
 * - `cut-body`: do the work, send the answer's headers and the first half of its body, then
 *   destroy the connection (a server or proxy that died while it answered).
 * - `stall-body`: do the work, send the headers and the first half of the body, wait
 *   `delayMs`, then the rest (latency in the middle of an answer).
 */
export const faultSchema = z.object({
  kind: z.enum(["status", "drop", "drop-after", "delay", "cut-body", "stall-body"]),
  /** HTTP method to match (any when omitted). */
  method: z.string().optional(),
  /** Regular expression matched against the path below /api, e.g. `^/instance$`. */
  path: z.string().optional(),
  count: z.number().int().min(1).default(1),
  status: z.number().int().min(100).max(599).optional(),
  retryAfter: z.number().min(0).optional(),
  delayMs: z.number().int().min(0).optional(),
  echo: z.boolean().optional(),
});

/** A fault as posted to `POST /_admin/faults`. */
export type Fault = z.infer<typeof faultSchema>;

/** Body of `POST /_admin/faults`. */
export const faultsBodySchema = z.object({ faults: z.array(faultSchema) });

/** A queue of faults consumed by matching requests. */
export interface FaultQueue {
  add(faults: Fault[]): void;
  clear(): void;
  pending(): Fault[];
  /** Takes the first fault matching this request (and uses up one of its count). */
  take(method: string, path: string): Fault | undefined;
}

/**
 * Creates an empty fault queue.
 *
 * @example
 * ```ts
 * const queue = createFaultQueue();
 * queue.add([{ kind: "status", status: 503, count: 2 }]);
 * ```
 */
export function createFaultQueue(): FaultQueue {
  let faults: { fault: Fault; left: number; re?: RegExp }[] = [];
  return {
    add(list) {
      for (const fault of list) faults.push({ fault, left: fault.count, ...(fault.path ? { re: new RegExp(fault.path) } : {}) });
    },
    clear() {
      faults = [];
    },
    pending() {
      return faults.map((f) => ({ ...f.fault, count: f.left }));
    },
    take(method, path) {
      const entry = faults.find((f) => (!f.fault.method || f.fault.method.toUpperCase() === method) && (!f.re || f.re.test(path)));
      if (!entry) return undefined;
      entry.left -= 1;
      if (entry.left <= 0) faults = faults.filter((f) => f !== entry);
      return entry.fault;
    },
  };
}
