import type { IncomingMessage, ServerResponse } from "node:http";
import { faultsBodySchema, type FaultQueue } from "./faults.js";
import { readJson } from "./http/body.js";
import type { LoggedRequest } from "./http/router.js";
import { send } from "./http/send.js";
import { toValidationDetail } from "./validation.js";

/**
 * The admin API under `/_admin/` (same Bearer key): `faults` (POST adds, GET lists, DELETE
 * clears) and `requests` (GET the log of requests under /api, DELETE clears it).
 */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, faults: FaultQueue, requestLog: LoggedRequest[]): Promise<void> {
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
