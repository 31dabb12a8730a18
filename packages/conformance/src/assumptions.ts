/**
 * One thing the suite takes for granted about a booted instance, beyond the `@vm/core`
 * contract and the declared capabilities. A VM that breaks one fails the cases named in
 * `cases` for a reason that is not a contract breach: make the VM meet it.
 *
 * @example
 * ```ts
 * import { VM_ASSUMPTIONS } from "@vm/conformance";
 * for (const a of VM_ASSUMPTIONS) console.log(`${a.id}: ${a.text} (${a.cases})`);
 * ```
 */
export interface VMAssumption {
  /** Stable key, e.g. `one-filesystem`. */
  id: string;
  /** What must hold in the VM. */
  text: string;
  /** Which cases rely on it. */
  cases: string;
}

/**
 * Every assumption the cases make about the VM, in one place (the README lists the same).
 * Capabilities declared `false` are not assumptions: those cases are visible skips.
 */
export const VM_ASSUMPTIONS: readonly VMAssumption[] = [
  {
    id: "one-filesystem",
    text: "exec and files see one filesystem: a file a command writes is what files.readFile returns, and a file files.writeFile writes is what a command reads",
    cases: "most files.*, snapshots.create-restores-files, instances.fork, processes.*, types.wrong-argument-types (exec.* check only through exec)",
  },
  {
    id: "writable-tmp",
    text: "/tmp exists and the default exec user can create directories in it: each case's scratch directory is /tmp/vm-conformance-<run id>-<case id>-d-<hex>, made with `mkdir -p` and removed with files.deleteDirectory after the case",
    cases: "every case that writes a file or a pid file",
  },
  {
    id: "root-default-user",
    text: "commands run as root when ExecOptions.user is not given (they chmod, chown and kill other users' processes)",
    cases: "exec.kill-escalation, files.atomic-owner, files.atomic-options, the exec.*kill* cases",
  },
  {
    id: "users",
    text: "the users root (uid 0) and nobody (uid 65534) and the group nogroup (gid 65534) exist; uid 2147483647 has no passwd entry",
    cases: "exec.user, exec.kill-escalation, files.atomic-owner, files.atomic-unknown-owner, capabilities.unsupported-*",
  },
  {
    id: "shell-and-tools",
    text: "bash is on PATH (cases run `bash -c script bash args...`), with coreutils (mkdir, cat, head, tr, sha256sum, base64, stat, mv, cp, ln, chmod, timeout, `sleep` with fractional seconds), GNU find, cmp, procps (ps, pgrep, pkill, kill) and setsid (util-linux)",
    cases: "every exec case; the provider kit's exec-based files need bash, coreutils and GNU find too",
  },
  {
    id: "linux-kernel-paths",
    text: "a Linux /proc (/proc/version, /proc/self/status, /proc/<pid>/cmdline), a tmpfs at /dev/shm writable by root, and mkfifo",
    cases: "files.fifo-refused, files.device-socket-refused, files.symlinked-parent-into-dev-shm, exec.kill-escalation, processes.fork-runs-each-app-once",
  },
  {
    id: "node",
    text: "node is on PATH (a Unix socket is made with it; PM2 runs node scripts; the exposed test service is a node script listening on a loopback port from 20000 to 39999)",
    cases: "files.device-socket-refused, processes.* (only with the processes capability), expose.*, instances.pause-keeps-app",
  },
  {
    id: "init-reaps",
    text: "the instance's PID 1 reaps orphaned processes (an init such as tini, catatonit, systemd or Docker's --init; `sleep infinity` as PID 1 does not), so a killed command and its children leave no zombies",
    cases: "exec.timeout, exec.abort, exec.kill-escalation and the other exec.*kill* cases (they check the processes are gone)",
  },
  {
    id: "boot-snapshot",
    text: "setup's snapshotId is something instances.boot() accepts any number of times (4 at once in concurrency.parallel-boot); each boot is a fresh, isolated instance",
    cases: "instances.*, concurrency.parallel-boot, every case that boots its own instance",
  },
  {
    id: "memory-limit-visible",
    text: "an instance's memory limit is visible inside it: the cgroup v2 /sys/fs/cgroup/memory.max, the cgroup v1 /sys/fs/cgroup/memory/memory.limit_in_bytes, or /proc/meminfo's MemTotal (a VM without a cgroup limit shows its size there); the least of them is taken as the limit",
    cases: "instances.resources-memory-limit (only with the resources capability)",
  },
];
