import { hasVMErrorCode } from "@vm/provider-kit";
import { errorInfo } from "./run.js";
import type { DeployProgress, StepDefinition, StepResult } from "./types.js";

/** What a step's body records into its result. */
export interface StepContext {
  check(name: string, ok: boolean, detail?: string): boolean;
  detail(key: string, value: unknown): void;
  print(...lines: string[]): void;
  update(message: string): void;
}

/** A result for a step that never ran. */
export function skippedStep(definition: StepDefinition): StepResult {
  return { ...definition, ok: false, status: "skipped", durationMs: 0, checks: [], details: {}, output: [] };
}

/**
 * Runs one step's body and turns what it did into its result: ok only when it ran and every
 * check held; `interrupted` when it was aborted. It never throws.
 */
export async function runStep(
  definition: StepDefinition,
  body: (ctx: StepContext) => Promise<void>,
  emit: (event: DeployProgress) => void,
  signal: AbortSignal | undefined,
): Promise<StepResult> {
  emit({ type: "step-start", step: definition });
  const stepStarted = performance.now();
  const result: StepResult = { ...definition, ok: false, status: "failed", durationMs: 0, checks: [], details: {}, output: [] };
  const ctx: StepContext = {
    check(name, ok, detail) {
      result.checks.push(detail === undefined ? { name, ok } : { name, ok, detail });
      return ok;
    },
    detail(key, value) {
      result.details[key] = value;
    },
    print(...lines) {
      result.output.push(...lines);
    },
    update(message) {
      emit({ type: "step-update", step: definition, message });
    },
  };
  try {
    await body(ctx);
    result.ok = result.checks.length > 0 && result.checks.every((c) => c.ok);
    result.status = result.ok ? "ok" : "failed";
  } catch (err) {
    result.error = errorInfo(err);
    if (hasVMErrorCode(err, "ABORTED") || signal?.aborted) result.status = "interrupted";
  }
  result.durationMs = Math.round(performance.now() - stepStarted);
  emit({ type: "step-end", result });
  return result;
}
