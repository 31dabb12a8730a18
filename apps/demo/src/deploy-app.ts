import type { VMProvider } from "@vm/core";
import { bootInstance, checkHttp, inspectApp, snapshotBase, startApp, writeAppConfig, writeServer } from "./deploy/app-steps.js";
import { cleanUp } from "./deploy/cleanup-step.js";
import { forkApp } from "./deploy/fork-step.js";
import { fetchFromHost } from "./deploy/host-fetch-step.js";
import { type DeployRun, createDeployRun } from "./deploy/run.js";
import { type StepContext, runStep, skippedStep } from "./deploy/step-runner.js";
import { DEPLOY_STEPS, type DeployAppOptions, type DeployProgress, type DeployResult, type StepDefinition, type StepId, type StepResult } from "./deploy/types.js";

export { DEMO_METADATA_KEYS, DEPLOY_STEPS } from "./deploy/types.js";
export type { DeployAppOptions, DeployProgress, DeployResult, StepCheck, StepDefinition, StepId, StepResult } from "./deploy/types.js";

type StepBody = (run: DeployRun, ctx: StepContext) => Promise<void>;

// Each step's body, by id: deployApp runs them in DEPLOY_STEPS order.
const STEP_BODIES: Readonly<Record<StepId, StepBody>> = {
  "snapshot-base": snapshotBase,
  boot: bootInstance,
  "write-config": writeAppConfig,
  "write-server": writeServer,
  "start-app": startApp,
  "http-check": checkHttp,
  "host-fetch": fetchFromHost,
  inspect: inspectApp,
  fork: forkApp,
  cleanup: cleanUp,
};

/**
 * Deploys a small Node app into a VM on any provider and proves every step: snapshot the
 * base image, boot with a TTL, write the config atomically, start the app with PM2 in
 * cluster mode, request it from inside the VM and from this machine through its exposed URL,
 * show processes and logs, snapshot and fork it twice with a different config per fork, and
 * terminate everything. It never throws for a failed step: the failure is in the result, and step 10 always removes what the run
 * created.
 *
 * @example
 * ```ts
 * import type { VMProvider } from "@vm/core";
 * import { deployApp } from "@vm/demo";
 * async function demo(provider: VMProvider) {
 *   const result = await deployApp(provider, { imageId: "vm-base:latest" });
 *   for (const step of result.steps) console.log(step.step, step.title, step.ok, step.durationMs);
 *   return result.ok;
 * }
 * ```
 */
export async function deployApp(provider: VMProvider, options: DeployAppOptions = {}): Promise<DeployResult> {
  const run = createDeployRun(provider, options);
  const { signal } = run;
  const emit = (event: DeployProgress) => options.onProgress?.(event);
  const started = performance.now();
  const results: StepResult[] = [];
  let interrupted = false;

  const runOne = async (definition: StepDefinition): Promise<StepResult> => {
    const result = await runStep(definition, (ctx) => STEP_BODIES[definition.id](run, ctx), emit, signal);
    if (result.status === "interrupted") interrupted = true;
    results.push(result);
    return result;
  };

  emit({ type: "run-start", runId: run.runId, provider: provider.name, totalSteps: DEPLOY_STEPS.length });

  let stopped = false;
  for (const definition of DEPLOY_STEPS) {
    if (definition.id === "cleanup") break;
    if (stopped || signal?.aborted) {
      if (signal?.aborted) interrupted = true;
      results.push(skippedStep(definition));
      continue;
    }
    const result = await runOne(definition);
    if (!result.ok) {
      stopped = true;
      continue;
    }
    try {
      await options.afterStep?.(result);
    } catch {
      // The hook only waits (for an interrupt); whatever it throws, cleanup still runs.
    }
  }

  // An interrupt during the last step's afterStep hook (a pause) has no later step to notice it.
  if (signal?.aborted) interrupted = true;
  await runOne(DEPLOY_STEPS[DEPLOY_STEPS.length - 1] as StepDefinition);

  const { imageId } = run.state;
  return {
    // An interrupted run is never a success, even when the interrupt came after the last step.
    ok: !interrupted && results.length === DEPLOY_STEPS.length && results.every((r) => r.ok),
    provider: provider.name,
    runId: run.runId,
    ...(imageId === undefined ? {} : { imageId }),
    interrupted,
    durationMs: Math.round(performance.now() - started),
    steps: results,
    created: { instances: [...run.tracker.created.instances], snapshots: [...run.tracker.created.snapshots] },
  };
}
