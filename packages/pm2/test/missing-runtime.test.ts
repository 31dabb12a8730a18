// On a VM without Node or without PM2 (Morph's morphvm-minimal has neither), every call of the
// process service fails with UNSUPPORTED naming what is missing, for which user: never a bare
// INTERNAL with pm2's "env: 'node': No such file or directory".
import type { VMProcessService } from "@vm/core";
import { createPM2ProcessService } from "@vm/pm2";
import { isVMError } from "@vm/provider-kit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { dockerExec, removeContainer, sh, startContainer } from "./docker-exec.js";

declare module "vitest" {
  export interface ProvidedContext {
    minimalImage: string;
  }
}

/** Every call of the service that reaches the VM, with arguments that would be fine on a full VM. */
function everyCall(processes: VMProcessService, id: string): Record<string, () => Promise<unknown>> {
  return {
    list: () => processes.list(id),
    start: () => processes.start(id, "sleep 1000", { name: "app" }),
    stop: () => processes.stop(id, "app"),
    restart: () => processes.restart(id, "app"),
    delete: () => processes.delete(id, "app"),
    logs: () => processes.logs(id, "app", 10),
    stopAll: () => processes.stopAll(id),
    deleteAll: () => processes.deleteAll(id),
  };
}

async function failures(id: string): Promise<Record<string, unknown>> {
  const processes = createPM2ProcessService(dockerExec, { provider: "docker" });
  const out: Record<string, unknown> = {};
  for (const [name, call] of Object.entries(everyCall(processes, id))) {
    try {
      await call();
      out[name] = "resolved";
    } catch (err) {
      out[name] = isVMError(err) ? { code: err.code, message: err.message } : String(err);
    }
  }
  return out;
}

function expectEvery(result: Record<string, unknown>, missing: RegExp): void {
  for (const [name, value] of Object.entries(result)) {
    expect({ name, value }).toMatchObject({ name, value: { code: "UNSUPPORTED", message: expect.stringMatching(missing) as unknown } });
  }
}

describe("@vm/pm2 on a VM without Node or PM2", () => {
  const ids: string[] = [];
  beforeAll(async () => {
    ids.push(await startContainer(inject("minimalImage")), await startContainer(inject("baseImage")), await startContainer(inject("baseImage")));
    // A VM with pm2 but no node (pm2's `#!/usr/bin/env node` fails), and one with node but no pm2.
    await sh(ids[1]!, "rm -f /usr/local/bin/node /usr/local/lib/node_modules/node/bin/node");
    await sh(ids[2]!, "rm -f /usr/local/bin/pm2");
  }, 300_000);
  afterAll(async () => {
    await Promise.all(ids.map((id) => removeContainer(id)));
  });

  it("the minimal image (neither): every call is UNSUPPORTED naming node and pm2 for the user", async () => {
    expectEvery(await failures(ids[0]!), /^node and pm2 not found on PATH for user root\b/);
  });

  it("pm2 without node: every call is UNSUPPORTED naming node", async () => {
    expectEvery(await failures(ids[1]!), /^node not found on PATH for user root\b/);
  });

  it("node without pm2: every call is UNSUPPORTED naming pm2", async () => {
    expectEvery(await failures(ids[2]!), /^pm2 not found on PATH for user root\b/);
  });
});
