import type { Duplex } from "node:stream";
import Dockerode from "dockerode";
import { openTunnel, type TunnelOptions } from "@vm/provider-docker/internal";

/**
 * What the emulator does to an instance's container directly on the engine, beyond the
 * `VMProvider` API (which has no pause, resume or restart): `id` is the backend's instance id,
 * which for `@vm/provider-docker` is the container id.
 */
export interface ContainerEngine {
  /** Freezes every process of the container (`docker pause`): memory and processes are kept. */
  pause(id: string): Promise<void>;
  /** Thaws a paused container (`docker unpause`). */
  unpause(id: string): Promise<void>;
  /** Restarts the container (`docker restart`): processes end, files stay. */
  restart(id: string): Promise<void>;
  /**
   * One TCP connection to a port on the container's own loopback, carried through the engine
   * (never to a container address): what exposed HTTP services are proxied over.
   */
  connect(id: string, options: TunnelOptions): Promise<Duplex>;
}

/**
 * The engine hook over dockerode. `docker` defaults to `new Dockerode()`, which reads
 * `DOCKER_HOST` like `@vm/provider-docker` does, so both talk to the same engine.
 */
export function dockerContainerEngine(docker: Dockerode = new Dockerode()): ContainerEngine {
  return {
    async pause(id) {
      await docker.getContainer(id).pause();
    },
    async unpause(id) {
      await docker.getContainer(id).unpause();
    },
    async restart(id) {
      await docker.getContainer(id).restart({ t: 5 });
    },
    connect(id, options) {
      return openTunnel(docker, id, options);
    },
  };
}
