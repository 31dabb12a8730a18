// Two instances that share one filesystem (one container, two instance ids), as a provider whose
// instances are directories or users on one host has them: with `pm2Home` as a function of the
// instance id, each instance gets its own PM2 daemon, and one never sees or stops the other's.
import type { ExecFunction } from "@vm/core";
import { createPM2ProcessService, pm2Save } from "@vm/pm2";
import { describe, expect, it } from "vitest";
import { dockerExec, sh } from "./docker-exec.js";
import { SUITE_TIMEOUT, byName, useContainer } from "./helpers.js";

describe("@vm/pm2 with instances that share a filesystem", { timeout: SUITE_TIMEOUT }, () => {
  const s = useContainer();
  // Instance ids "a" and "b" both run in the one container.
  const shared: ExecFunction = (_instanceId, argv, options) => dockerExec(s.id, argv, options);
  const homes = (id: string) => `/var/lib/vm/pm2-shared/${id}`;

  it("the default home is one daemon for both (why the option exists)", async () => {
    const processes = createPM2ProcessService(shared);
    await processes.start("a", "sleep", { name: "only-a", args: ["1000"] });
    expect(byName(await processes.list("b"), "only-a")).toHaveLength(1);
    await processes.deleteAll("a");
  });

  it("pm2Home per instance id: two daemons, lists, stopAll and save stay apart", async () => {
    const processes = createPM2ProcessService(shared, { pm2Home: homes });
    await processes.start("a", "sleep", { name: "app", args: ["1000"] });
    await processes.start("b", "sleep", { name: "app", args: ["2000"] });
    const [a, b] = [await processes.list("a"), await processes.list("b")];
    expect(byName(a, "app")).toHaveLength(1);
    expect(byName(b, "app")).toHaveLength(1);
    expect(byName(a, "app")[0]!.pid).not.toBe(byName(b, "app")[0]!.pid);
    // Two daemons, one per home.
    const daemons = await sh(s.id, "for h in a b; do cat /var/lib/vm/pm2-shared/$h/pm2.pid; echo; done");
    expect(new Set(daemons.trim().split("\n")).size).toBe(2);
    await processes.stopAll("a");
    expect(byName(await processes.list("a"), "app")[0]!.status).toBe("stopped");
    expect(byName(await processes.list("b"), "app")[0]!.status).toBe("online");
    await pm2Save(shared, "b", { pm2Home: homes });
    expect(await sh(s.id, "test -s /var/lib/vm/pm2-shared/b/dump.pm2 && ! test -e /var/lib/vm/pm2-shared/a/dump.pm2 && echo apart")).toContain("apart");
    await processes.deleteAll("a");
    await processes.deleteAll("b");
  });
});
