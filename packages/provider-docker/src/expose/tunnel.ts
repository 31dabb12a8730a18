import { Duplex } from "node:stream";
import type Dockerode from "dockerode";
import { createDemuxer } from "../demux.js";
import { TCP_TUNNEL_SH } from "../sh/tcp-tunnel.sh.js";

/** Where one tunnel goes, and for how long at most. */
export interface TunnelOptions {
  /** Port on the container's loopback. */
  port: number;
  /**
   * Kill the tunnel's process (with everything it started) after this many seconds.
   * @default none: it lasts as long as the connection
   */
  lifetimeSeconds?: number;
}

/**
 * Opens one TCP connection to `127.0.0.1:<port>` inside the container, carried over a docker
 * exec's attached stdin and stdout (see `tcp-tunnel.sh`, which needs only bash and cat). The
 * returned stream is that connection: usable as a socket (`http.request({ createConnection })`)
 * or piped to one. Never a container address, so it works without a bridge network.
 *
 * Bounded: when the reader of the returned stream falls behind, the engine's stream is paused.
 * Ending the returned stream's writable side does not half-close the connection (the script
 * reads the end of its stdin as "the client is gone"); destroy it to end the connection.
 */
export async function openTunnel(docker: Dockerode, containerId: string, options: TunnelOptions): Promise<Duplex> {
  const script = ["bash", "-c", TCP_TUNNEL_SH, "vm-tunnel", String(options.port)];
  const exec = await docker.getContainer(containerId).exec({
    Cmd: options.lifetimeSeconds === undefined ? script : ["timeout", "-s", "KILL", String(options.lifetimeSeconds), ...script],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const raw = await exec.start({ hijack: true, stdin: true });
  let ended = false;
  const end = () => {
    if (ended || tunnel.destroyed) return;
    ended = true;
    tunnel.push(null);
  };
  const tunnel = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      raw.write(chunk, done);
    },
    final(done) {
      done();
    },
    destroy(error, done) {
      raw.destroy();
      done(error);
    },
  });
  // The script's stderr (a refused connection, say) is not part of the connection.
  const push = createDemuxer((stream, data) => {
    if (stream === "stdout" && !ended && !tunnel.destroyed && !tunnel.push(data)) raw.pause();
  });
  raw.on("data", (chunk: Buffer) => push(chunk));
  raw.on("end", end);
  raw.on("close", end);
  raw.on("error", (error) => tunnel.destroy(error));
  return tunnel;
}
