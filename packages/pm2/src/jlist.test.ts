import { describe, expect, it } from "vitest";
import { extractJlist, parseJlist, stripAnsi, toStatus } from "./jlist.js";

const ctx = { provider: "test", operation: "processes.list" };
const ESC = String.fromCharCode(27);

describe("jlist parsing", () => {
  it("finds the list after banners and [PM2] lines", () => {
    const out = `\n  ---\n${ESC}[32m[PM2] ${ESC}[39mSpawning PM2 daemon with pm2_home=/x\n[PM2] PM2 Successfully daemonized\n[]`;
    expect(extractJlist(out)).toEqual([]);
    expect(extractJlist("no json here")).toBeUndefined();
    expect(() => parseJlist("garbage", ctx)).toThrow(/could not find the process list/);
  });

  it("never quotes the output (it carries env values) in errors", () => {
    expect(() => parseJlist('[{"pm2_env":{"env":{"T":"secret"}}', ctx)).toThrow(expect.objectContaining({ message: expect.not.stringContaining("secret") as unknown }));
  });

  it("maps a process without its env", () => {
    const entry = {
      pid: 12,
      name: "web",
      pm_id: 3,
      monit: { cpu: 1.5, memory: 1024 },
      pm2_env: { status: "online", restart_time: 2, pm_uptime: 1000, NODE_APP_INSTANCE: 1, exec_mode: "cluster_mode", pm_out_log_path: "/o", pm_err_log_path: "/e", env: { TOKEN: "secret" }, TOKEN: "secret" },
    };
    const [p] = parseJlist(JSON.stringify([entry]), ctx, 4000);
    expect(p).toEqual({
      info: { name: "web", id: 3, status: "online", pid: 12, restarts: 2, uptime: 3000, cpu: 1.5, memory: 1024, instance: 1, exec_mode: "cluster" },
      outLog: "/o",
      errLog: "/e",
      module: false,
    });
    expect(JSON.stringify(p)).not.toContain("secret");
  });

  it("stopped processes have no pid or uptime even if PM2 keeps a stale pid", () => {
    const [p] = parseJlist(JSON.stringify([{ pid: 99, name: "c", pm_id: 0, pm2_env: { status: "stopped", pm_uptime: 1 } }]), ctx);
    expect(p!.info).toMatchObject({ pid: null, uptime: null, status: "stopped", exec_mode: "fork", instance: 0 });
  });

  it("maps statuses outside the contract", () => {
    expect(toStatus("waiting restart")).toBe("launching");
    expect(toStatus("weird")).toBe("errored");
    expect(toStatus("errored")).toBe("errored");
    expect(stripAnsi(`${ESC}[31mred${ESC}[39m`)).toBe("red");
  });
});
