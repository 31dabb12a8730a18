import type { ProcessBuilder, ProcessConfig } from "@vm/core";
import { VMError, type ErrorContext } from "@vm/provider-kit";
import { assertStartOptions } from "./config.js";
import { DEFAULT_PROVIDER } from "./constants.js";
import { assertProcessName } from "./names.js";

type Draft = Partial<ProcessConfig> & { name: string };

function builderFrom(draft: Draft, ctx: ErrorContext): ProcessBuilder {
  // Every step returns a new builder, so a half-built chain can be shared and branched safely.
  const next = (patch: Partial<ProcessConfig>): ProcessBuilder => builderFrom({ ...draft, ...patch }, ctx);
  return {
    script: (script) => next({ script }),
    args: (args) => next({ args: [...args] }),
    cwd: (cwd) => next({ cwd }),
    env: (env) => next({ env: { ...draft.env, ...env } }),
    instances: (instances) => next({ instances }),
    execMode: (exec_mode) => next({ exec_mode }),
    interpreter: (interpreter) => next({ interpreter }),
    interpreterArgs: (args) => next({ interpreter_args: [...args] }),
    nodeArgs: (args) => next({ node_args: [...args] }),
    autorestart: (autorestart) => next({ autorestart }),
    maxMemoryRestart: (max_memory_restart) => next({ max_memory_restart }),
    maxRestarts: (max_restarts) => next({ max_restarts }),
    minUptime: (min_uptime) => next({ min_uptime }),
    restartDelay: (restart_delay) => next({ restart_delay }),
    expBackoffRestartDelay: (exp_backoff_restart_delay) => next({ exp_backoff_restart_delay }),
    killTimeout: (kill_timeout) => next({ kill_timeout }),
    cronRestart: (cron_restart) => next({ cron_restart }),
    watch: (watch) => next({ watch: typeof watch === "boolean" ? watch : [...watch] }),
    time: (time) => next({ time }),
    mergeLogs: (merge_logs) => next({ merge_logs }),
    namespace: (namespace) => next({ namespace }),
    waitReady: (wait_ready, listenTimeoutMs) =>
      next(listenTimeoutMs === undefined ? { wait_ready } : { wait_ready, listen_timeout: listenTimeoutMs }),
    build: (): ProcessConfig => {
      const config = structuredClone(Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== undefined))) as Draft;
      assertStartOptions(config, ctx);
      if (config.script === undefined) {
        throw new VMError("INVALID_ARGUMENT", `process ${config.name} has no script: call .script(path) before .build()`, ctx);
      }
      return config as ProcessConfig;
    },
  };
}

/**
 * Starts a fluent PM2 app definition. `.build()` validates everything (and throws
 * `VMError` `INVALID_ARGUMENT`) and returns a plain, JSON-serialisable `ProcessConfig` for
 * `processes.start(instanceId, config.script, config)`. Builders are immutable: every step
 * returns a new one.
 *
 * @param name A PM2 app name: letters, digits, `.` and `-`, starting with a letter or digit,
 *   not numeric and not `"all"` (checked here, immediately).
 * @example
 * ```ts
 * import { createProcess } from "@vm/pm2";
 * const config = createProcess("my-app")
 *   .script("/app/server.js")
 *   .env({ NODE_ENV: "production" })
 *   .instances(4)
 *   .maxMemoryRestart("200M")
 *   .build();
 * // { name: "my-app", script: "/app/server.js", env: { NODE_ENV: "production" }, instances: 4, max_memory_restart: "200M" }
 * ```
 */
export function createProcess(name: string, options: { provider?: string } = {}): ProcessBuilder {
  const ctx: ErrorContext = { provider: options.provider ?? DEFAULT_PROVIDER, operation: "processes.createProcess" };
  assertProcessName(name, ctx);
  return builderFrom({ name }, ctx);
}
