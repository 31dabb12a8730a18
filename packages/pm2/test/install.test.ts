// installPM2 with real parts: a container of the minimal image (Debian, no Node, no PM2), real
// docker exec, the kit's exec-based file service for the uploads, then real pm2 running a process.
import type { InstallPM2Result } from "@vm/pm2";
import { createPM2ProcessService, installPM2 } from "@vm/pm2";
import { createExecFileService, isVMError } from "@vm/provider-kit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { dockerExec, removeContainer, sh, startContainer } from "./docker-exec.js";
import { pm2TreeFromImage, type PM2Tree } from "./pm2-tree.js";

declare module "vitest" {
  export interface ProvidedContext {
    minimalImage: string;
  }
}

const target = {
  instances: { exec: dockerExec },
  files: createExecFileService({ provider: "docker-cli", exec: dockerExec, stdin: false }),
} as unknown as Parameters<typeof installPM2>[0];

describe("installPM2 (source upload) on the minimal image", () => {
  let id = "";
  let tree: PM2Tree | undefined;
  beforeAll(async () => {
    [tree, id] = await Promise.all([pm2TreeFromImage(inject("baseImage")), startContainer(inject("minimalImage"))]);
  }, 300_000);
  afterAll(async () => {
    await removeContainer(id);
    await tree?.remove();
  });

  it("a call that runs out of time is TIMEOUT and leaves nothing in the VM", async () => {
    // 1.5 s cannot hold an install of 47 MiB, wherever the deadline falls (probe, gzip, upload parts, unpack): TIMEOUT, and the cleanup removes any parts written.
    const err = await installPM2(target, id, { pm2Directory: tree!.dir, timeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(isVMError(err) ? err.code : err).toBe("TIMEOUT");
    expect(await sh(id, "ls -A /tmp; command -v node || echo no-node")).toBe("no-node\n");
  });

  it("installs this client's Node and the given pm2 once; pm2 then runs a process; a second call is a no-op", async () => {
    const processes = createPM2ProcessService(dockerExec, { provider: "docker" });
    await expect(processes.list(id)).rejects.toMatchObject({ code: "UNSUPPORTED" });

    const started = Date.now();
    const first: InstallPM2Result = await installPM2(target, id, { pm2Directory: tree!.dir, provider: "docker" });
    const firstMs = Date.now() - started;
    expect(first).toMatchObject({ changed: true, node: process.versions.node, pm2: expect.stringMatching(/^\d+\.\d+\.\d+$/) as unknown });
    expect(first.uploadedBytes).toBeGreaterThan(1_000_000);
    console.log(`installPM2 over docker exec: ${(first.uploadedBytes / 1048576).toFixed(1)} MiB uploaded in ${firstMs} ms`);
    // Nothing left behind in /tmp; node and pm2 are where every default PATH finds them.
    expect(await sh(id, "ls /tmp; command -v node; command -v pm2")).toBe("/usr/local/bin/node\n/usr/local/bin/pm2\n");

    await processes.start(id, "sleep 1000", { name: "sleeper" });
    expect((await processes.list(id)).map((p) => [p.name, p.status])).toEqual([["sleeper", "online"]]);

    const again = await installPM2(target, id, { pm2Directory: tree!.dir, provider: "docker" });
    expect(again).toEqual({ changed: false, node: first.node, pm2: first.pm2, uploadedBytes: 0 });
    await processes.deleteAll(id);
  });

  it("bad options are INVALID_ARGUMENT before any exec; a stopped call is ABORTED", async () => {
    const none = { instances: { exec: () => Promise.reject(new Error("must not run")) }, files: { writeFile: () => Promise.reject(new Error("must not run")) } } as unknown as Parameters<typeof installPM2>[0];
    for (const options of [{}, { pm2Directory: "relative" }, { pm2Directory: "/nonexistent" }, { source: "ftp" }, { source: "network", pm2Directory: "/x" }, { nodeVersion: "24" }, { timeoutMs: 0 }, { bogus: 1 }]) {
      const err = await installPM2(none, id, options as never).catch((e: unknown) => e);
      expect(isVMError(err) ? err.code : err, JSON.stringify(options)).toBe("INVALID_ARGUMENT");
    }
    const err = await installPM2(none, id, { pm2Directory: tree!.dir, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isVMError(err) ? err.code : err).toBe("ABORTED");
  });
});
