import type { DeployRun } from "./run.js";
import { WORKERS } from "./run.js";
import type { StepContext } from "./step-runner.js";

/** What the app answers (its JSON body). */
interface AppAnswer {
  message?: string;
  worker?: string;
  appEnv?: string;
}

/** The name the app's port is exposed under. */
export const EXPOSED_NAME = "demo-app";

/**
 * Step 7: expose the app's port and request it from this machine through the URL the provider
 * gives (`instances.expose`), until every cluster worker has answered. A provider without
 * `capabilities.expose` shows the step as skipped, with the reason.
 */
export async function fetchFromHost(run: DeployRun, ctx: StepContext): Promise<void> {
  const { instances, capabilities } = run.provider;
  if (!capabilities.expose) {
    ctx.check(`skipped: ${run.provider.name} cannot expose ports (capabilities.expose is false)`, true);
    return;
  }
  const id = run.state.instanceId;
  ctx.update(`instances.expose(${id}, ${run.port}, { name: "${EXPOSED_NAME}" })`);
  const service = await instances.expose(id, run.port, { name: EXPOSED_NAME });
  ctx.detail("service", service);
  ctx.check("expose() gives a URL", /^https?:\/\//.test(service.url), service.url);
  const workers = new Map<string, { status: number; body: AppAnswer }>();
  const deadline = Date.now() + run.serveTimeoutMs;
  let requests = 0;
  let lastError = "";
  // Round-robin across workers is PM2's choice: ask until both answered (each request bounded).
  while (workers.size < WORKERS && Date.now() < deadline && requests < 40) {
    requests++;
    try {
      const signal = run.signal ? AbortSignal.any([run.signal, AbortSignal.timeout(15_000)]) : AbortSignal.timeout(15_000);
      const res = await fetch(service.url, { signal, headers: { connection: "close" } });
      const body = (await res.json()) as AppAnswer;
      workers.set(body.worker ?? "?", { status: res.status, body });
    } catch (err) {
      if (run.signal?.aborted) throw err;
      lastError = err instanceof Error ? err.message : String(err);
    }
  }
  const answers = [...workers.values()];
  ctx.detail("answers", answers);
  ctx.check("the app answers from this machine", answers.length > 0, answers.length > 0 ? `${requests} request(s)` : lastError);
  ctx.check("every answer is HTTP 200", answers.length > 0 && answers.every((a) => a.status === 200));
  ctx.check("it serves the config's message", answers.length > 0 && answers.every((a) => a.body.message === "Hello from the parent VM"));
  ctx.check(`${WORKERS} cluster workers answered`, workers.size === WORKERS, [...workers.keys()].join(", "));
  ctx.print(`exposed port ${run.port} at ${service.url}`, ...answers.map((a) => `GET ${service.url} -> ${a.status} ${JSON.stringify(a.body)}`));
}
