// Scenarios run once against real pm2 by test/record-fixtures.ts (which stores every exec and
// its real output as JSON next to this file) and replayed by the unit tests. Not shipped:
// tsconfig.build.json excludes src/__fixtures__.
import type { VMProcessService } from "@vm/core";
import { isVMError } from "@vm/provider-kit";

export interface ScenarioKit {
  processes: VMProcessService;
  instanceId: string;
  /** Waits while recording, returns at once while replaying. */
  pause: (ms: number) => Promise<void>;
}

export const SECRET = "s3cr3t-value-never-listed";

async function caught(promise: Promise<unknown>): Promise<{ code: string; message: string } | "resolved"> {
  try {
    await promise;
    return "resolved";
  } catch (err) {
    if (isVMError(err)) return { code: err.code, message: err.message };
    throw err;
  }
}

export const SCENARIOS = {
  // A fresh container: the first pm2 call spawns the daemon and prints its banner before the JSON.
  async fresh({ processes, instanceId }: ScenarioKit) {
    const firstList = await processes.list(instanceId);
    const stopAll = await caught(processes.stopAll(instanceId));
    const deleteAll = await caught(processes.deleteAll(instanceId));
    const secondList = await processes.list(instanceId);
    return { firstList, stopAll, deleteAll, secondList };
  },

  async lifecycle({ processes, instanceId, pause }: ScenarioKit) {
    const started = await processes.start(instanceId, "node", { name: "web", script: "/app/server.js", env: { PORT: "3000", TOKEN: SECRET } });
    const loop = await processes.start(instanceId, "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done", { name: "loop" });
    await pause(2500);
    const listed = await processes.list(instanceId);
    const webLogs = await processes.logs(instanceId, "web", 10);
    const loopLogs = await processes.logs(instanceId, "loop", 3);
    await processes.stop(instanceId, "web");
    const afterStop = await processes.list(instanceId);
    await processes.restart(instanceId, "web");
    const unknownStop = await caught(processes.stop(instanceId, "nope"));
    const unknownId = await caught(processes.delete(instanceId, 4242));
    const missingScript = await caught(processes.start(instanceId, "/nope/missing.js", { name: "missing" }));
    await processes.delete(instanceId, "loop");
    await processes.deleteAll(instanceId);
    const afterDeleteAll = await processes.list(instanceId);
    return { started, loop, listed, webLogs, loopLogs, afterStop, unknownStop, unknownId, missingScript, afterDeleteAll };
  },

  async cluster({ processes, instanceId, pause }: ScenarioKit) {
    const config = processes.createProcess("api").script("/app/server.js").env({ PORT: "3100" }).instances(4).build();
    const workers = await processes.start(instanceId, config.script, config);
    await pause(2000);
    const listed = await processes.list(instanceId);
    const logs = await processes.logs(instanceId, "api", 4);
    await processes.delete(instanceId, "api");
    const afterDelete = await processes.list(instanceId);
    return { workers, listed, logs, afterDelete };
  },

  async noPm2({ processes, instanceId }: ScenarioKit) {
    return { list: await caught(processes.list(instanceId)), stopAll: await caught(processes.stopAll(instanceId)) };
  },
};

export type ScenarioName = keyof typeof SCENARIOS;

/** One recorded exec: the driver operation and its arguments (after `sh -c DRIVER vm-pm2 <pm2Home>`), the env, and pm2's real answer. */
export interface RecordedCall {
  args: string[];
  env: Record<string, string>;
  result: { stdout: string; stderr: string; exit_code: number };
}
