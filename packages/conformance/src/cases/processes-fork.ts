import { strict as assert } from "node:assert";
import { eventually } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";

// Stays up.
const APP = "setInterval(() => {}, 1000);\n";

// How many live processes are workers of PM2 app $1, from their environment (read as root,
// the assumption root-default-user): PM2 gives a fork-mode worker `name=<app>`, a cluster
// worker `pm2_env={"name":"<app>",…}`. Its list alone would not show a second daemon's copies.
const COUNT =
  'n=0; for f in /proc/[0-9]*/environ; do { grep -qzxF -- "name=$1" "$f" || grep -qzF -- "pm2_env={\\"name\\":\\"$1\\"," "$f"; } 2>/dev/null && n=$((n+1)); done; echo "$n"';

interface Expected {
  name: string;
  script: string;
  workers: number;
}

/** Both PM2's list and the process table show exactly `workers` online processes per app. */
async function runsExactly(ctx: CaseContext, instanceId: string, apps: readonly Expected[], where: string): Promise<void> {
  await eventually(`${where}: ${apps.map((a) => `${a.name} × ${a.workers}`).join(", ")} online, each once`, async () => {
    const list = await ctx.provider.processes.list(instanceId);
    for (const app of apps) {
      const mine = list.filter((p) => p.name === app.name);
      if (mine.length !== app.workers || mine.some((p) => p.status !== "online")) return undefined;
      const running = Number((await ctx.sh(instanceId, COUNT, [app.name])).stdout.trim());
      if (running !== app.workers) return undefined;
    }
    return true;
  });
}

/**
 * PM2 across a fork: whether the backend keeps memory (Morph's branch) or files only (a
 * committed image, then PM2's dump resurrected), each instance ends up running every app with
 * exactly its configured workers: none lost, none started twice.
 */
export const processForkCases: readonly ConformanceCase[] = [
  {
    id: "processes.fork-runs-each-app-once",
    title: "after fork, parent and child each run every PM2 app with exactly its configured workers (cluster and fork mode), none started twice",
    level: "MUST",
    needs: ["processes", "fork"],
    timeoutMs: 300_000,
    async run(ctx) {
      const parent = await ctx.boot();
      const dir = await ctx.scratchDir(parent.id);
      const apps: Expected[] = [
        { name: ctx.unique("vmc-cluster"), script: `${dir}/cluster.js`, workers: 2 },
        { name: ctx.unique("vmc-fork"), script: `${dir}/fork.js`, workers: 1 },
      ];
      for (const app of apps) await ctx.provider.files.writeFile(parent.id, app.script, APP);
      await ctx.provider.processes.start(parent.id, "node", { name: apps[0]!.name, script: apps[0]!.script, instances: 2, exec_mode: "cluster" });
      await ctx.provider.processes.start(parent.id, "node", { name: apps[1]!.name, script: apps[1]!.script });
      await runsExactly(ctx, parent.id, apps, "the parent before the fork");
      const [child] = await ctx.fork(parent.id, 1);
      assert.ok(child, "fork(1) returns one instance");
      await runsExactly(ctx, child.id, apps, "the child");
      await runsExactly(ctx, parent.id, apps, "the parent after the fork");
    },
  },
];
