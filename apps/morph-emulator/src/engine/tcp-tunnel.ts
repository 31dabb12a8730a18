import { Duplex, PassThrough, Writable } from "node:stream";
import type Dockerode from "dockerode";
import { TCP_TUNNEL_SH } from "../sh/tcp-tunnel.sh.js";

/** Bounds of one tunnel. */
export interface TunnelOptions {
  /** Port on the instance's loopback. */
  port: number;
  /** The tunnel's process is killed (with everything it started) after this many seconds. */
  lifetimeSeconds: number;
}

/**
 * Opens one TCP connection to `127.0.0.1:<port>` inside the container, carried over a docker
 * exec's attached stdin and stdout (see `tcp-tunnel.sh`): the returned stream is that
 * connection, usable as the socket of `http.request({ createConnection })`, so Node's own HTTP
 * parser reads the service's answer. Engine frames are split by docker-modem's `demuxStream`.
 */
export async function openTunnel(docker: Dockerode, containerId: string, options: TunnelOptions): Promise<Duplex> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: ["timeout", "-s", "KILL", String(options.lifetimeSeconds), "bash", "-c", TCP_TUNNEL_SH, "vm-tunnel", String(options.port)],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const raw = await exec.start({ hijack: true, stdin: true });
  const stdout = new PassThrough();
  // The script's stderr (a refused connection, say) is not part of the connection.
  const stderr = new Writable({ write: (_chunk, _encoding, done) => done() });
  docker.modem.demuxStream(raw, stdout, stderr);
  const tunnel = new Duplex({
    read() {
      stdout.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      raw.write(chunk, done);
    },
    final(done) {
      // No half-close: the script reads the end of its stdin as "the client is gone" and ends
      // the connection at once. The connection ends when the service closes it, or by destroy.
      done();
    },
    destroy(error, done) {
      raw.destroy();
      done(error);
    },
  });
  stdout.on("data", (chunk: Buffer) => {
    if (!tunnel.push(chunk)) stdout.pause();
  });
  // Every frame is in `stdout` once the engine's stream ends: the connection ends after them.
  stdout.on("end", () => tunnel.push(null));
  raw.on("end", () => stdout.end());
  raw.on("close", () => stdout.end());
  raw.on("error", (error) => tunnel.destroy(error));
  return tunnel;
}
