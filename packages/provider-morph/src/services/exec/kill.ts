import { isVMError } from "@vm/provider-kit";
import { pathOf } from "../../api-client/base-client.js";
import { execResponseSchema } from "../../spec/responses.js";
import type { ExecDeps } from "./deps.js";
import { killRequestCommand } from "./request.js";

// How long the follow-up exec that kills an aborted or timed-out command may take, retries included.
const KILL_BUDGET_MS = 10_000;

/**
 * Morph has no kill endpoint and a client abort only drops the HTTP request: a second exec
 * kills what the first one started (see EXEC_KILL_SCRIPT). Best effort, bounded, never throws.
 */
export async function killCommand(deps: ExecDeps, instanceId: string, killId: string, operation: string): Promise<void> {
  try {
    await deps.client.request({
      method: "POST",
      path: pathOf("instance", instanceId, "exec"),
      operation,
      json: { command: killRequestCommand(killId) },
      schema: execResponseSchema,
      // Killing twice is harmless, so this one may be re-sent.
      idempotent: true,
      signal: AbortSignal.timeout(KILL_BUDGET_MS),
      timeoutMs: KILL_BUDGET_MS,
    });
  } catch (err) {
    deps.logger?.warn("morph: could not kill an aborted or timed-out command", { instanceId, operation, code: isVMError(err) ? err.code : "INTERNAL" });
  }
}
