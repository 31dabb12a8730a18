// Records the unit tests' fixtures from real pm2: `pnpm --filter @vm/pm2 build && node packages/pm2/test/record-fixtures.ts`
// (VM_BASE_IMAGE picks the image; default vm-base:latest). Each scenario runs in its own fresh container.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ExecFunction } from "@vm/core";
import { createPM2ProcessService } from "../dist/index.js";
import { SCENARIOS, type RecordedCall, type ScenarioName } from "../src/__fixtures__/scenarios.ts";
import { dockerExec, removeContainer, sh, startContainer } from "./docker-exec.ts";

const SERVER_JS = `require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT || 8080), () => { console.log("listening"); console.error("warming up"); });`;
const image = process.env.VM_BASE_IMAGE ?? "vm-base:latest";

for (const name of Object.keys(SCENARIOS) as ScenarioName[]) {
  const id = await startContainer(image);
  try {
    const write = await dockerExec(id, ["sh", "-c", 'mkdir -p /app && printf "%s" "$1" > /app/server.js', "w", SERVER_JS]);
    if (write.exit_code !== 0) throw new Error(write.stderr);
    if (name === "noPm2") await sh(id, "mv /usr/local/bin/pm2 /usr/local/bin/pm2.disabled");
    const calls: RecordedCall[] = [];
    const recording: ExecFunction = async (instanceId, argv, options) => {
      const result = await dockerExec(instanceId, argv, options);
      calls.push({ args: argv.slice(5), env: options?.env ?? {}, result });
      return result;
    };
    const processes = createPM2ProcessService(recording, { provider: "docker" });
    await SCENARIOS[name]({ processes, instanceId: id, pause: (ms) => new Promise((r) => setTimeout(r, ms)) });
    await writeFile(join(import.meta.dirname, "..", "src", "__fixtures__", `${name}.json`), `${JSON.stringify(calls, null, 2)}\n`);
    console.log(`${name}: ${calls.length} calls recorded`);
  } finally {
    await removeContainer(id);
  }
}
