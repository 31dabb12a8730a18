import { cpus, platform, release, totalmem, arch } from "node:os";
import type Docker from "dockerode";

/** The machine a report was made on. */
export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  docker: { server: string; api: string; storageDriver: string; cgroup: string };
}

/**
 * Describe this machine and its Docker engine, for the report.
 *
 * @example
 * ```ts
 * const machine = await describeMachine(new Docker());
 * ```
 */
export async function describeMachine(docker: Docker): Promise<MachineInfo> {
  const [version, info] = await Promise.all([docker.version(), docker.info() as Promise<Record<string, unknown>>]);
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cpus: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${arch()}`,
    kernel: release(),
    node: process.version,
    docker: {
      server: version.Version,
      api: version.ApiVersion,
      storageDriver: typeof info.Driver === "string" ? info.Driver : "unknown",
      cgroup: typeof info.CgroupVersion === "string" ? `v${info.CgroupVersion}` : "unknown",
    },
  };
}
