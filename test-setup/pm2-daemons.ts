import { readFileSync, readdirSync } from "node:fs";

/**
 * A PM2 God daemon seen in this machine's process table. Containers' processes are visible
 * here too (the engine runs them in child pid namespaces of ours), so this covers daemons in
 * instances as well as on the host.
 */
export interface Pm2Daemon {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat): pid + start is unique. */
  start: string;
  /** Its process title, e.g. `PM2 v7.0.4: God Daemon (/root/.pm2)`. */
  title: string;
  /** The Docker container it runs in (from its cgroup), or undefined for a host process. */
  containerId: string | undefined;
}

// PM2 names its daemon process `PM2 v<version>: God Daemon (<PM2_HOME>)`.
const GOD_DAEMON = /^PM2 v[^:]*: God Daemon\b/;
// cgroupfs driver: /docker/<id>; systemd driver: docker-<id>.scope.
const CONTAINER_CGROUP = /docker[/-]([0-9a-f]{64})(?:\.scope)?\b/;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // the process exited meanwhile
  }
}

/** Every PM2 God daemon alive now (Linux /proc). */
export function listPm2Daemons(): Pm2Daemon[] {
  const out: Pm2Daemon[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const title = read(`/proc/${entry}/cmdline`)?.replace(/\0+/g, " ").trim();
    if (!title || !GOD_DAEMON.test(title)) continue;
    const stat = read(`/proc/${entry}/stat`);
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (!fields || fields[0] === "Z") continue; // a zombie is already dead
    const cgroup = read(`/proc/${entry}/cgroup`) ?? "";
    out.push({ pid: Number(entry), start: fields[19] ?? "", title, containerId: CONTAINER_CGROUP.exec(cgroup)?.[1] });
  }
  return out;
}

/** The same process (pid and start time), so a reused pid is not mistaken for an old daemon. */
export function daemonKey(d: Pm2Daemon): string {
  return `${d.pid}@${d.start}`;
}
