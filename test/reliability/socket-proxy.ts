import { rmSync } from "node:fs";
import { type Server, type Socket, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";

/**
 * What the proxy does with one request, decided from its first bytes (the request line and
 * headers, as latin1):
 * - `forward`: passes it and its answer through;
 * - `cut`: drops it and closes the connection before the engine sees it;
 * - `cut-mid-answer`: passes it to the engine, passes the answer's headers and the first bytes
 *   of its body back, then closes the connection (an engine that died while it answered);
 * - `{ answer }`: does not pass it on; writes `answer` (a whole raw HTTP response) back and
 *   closes the connection (an answer a real engine gives only in a state the test cannot make on cue).
 */
export type ProxyDecision = "forward" | "cut" | "cut-mid-answer" | { answer: string };

export interface SocketProxy {
  /** The proxy's Unix socket: give it to a provider as `docker: { socketPath }`. */
  readonly socketPath: string;
  /** Closes every connection open now (both sides). */
  destroyAll(): void;
  /**
   * Stops accepting connections and unlinks the socket, keeping the open ones: what a dockerd
   * that is shutting down does (it closes its API listener first, then stops its containers).
   */
  stopListening(): void;
  close(): Promise<void>;
}

export interface SocketProxyOptions {
  /** Decides per request; called once per request the client sends. */
  decide(head: string): ProxyDecision;
  /** Whether to accept a new connection (default: always); a refused one is closed at once. */
  accept?(): boolean;
}

/** The shared engine's socket path (docker-modem keeps either a path or a function that finds the default). */
export async function engineSocketPath(): Promise<string> {
  const socketPath = (new Dockerode() as unknown as { modem: { socketPath?: string | (() => Promise<string>) } }).modem.socketPath;
  if (typeof socketPath === "string") return socketPath;
  if (typeof socketPath === "function") return socketPath();
  return "/var/run/docker.sock";
}

// Bytes of an answer's body passed on before a cut-mid-answer closes the connection.
const BODY_BYTES_BEFORE_CUT = 5;

/**
 * A real Unix-socket proxy in front of the shared engine, which makes a connection fault at an
 * exact request: what a killed or vanished engine does to a client, with a real engine's answers.
 * One connection may carry several requests (keep-alive); each is decided on its own.
 */
export async function createSocketProxy(name: string, options: SocketProxyOptions): Promise<SocketProxy> {
  const upstreamPath = await engineSocketPath();
  const socketPath = join(tmpdir(), `vm-${name}-${process.pid}.sock`);
  const open = new Set<Socket>();
  rmSync(socketPath, { force: true });
  const server: Server = createServer((client) => {
    if (options.accept && !options.accept()) return client.destroy();
    const upstream = connect(upstreamPath);
    open.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    // Set when the request in flight is to be cut mid-answer: the answer's bytes seen so far.
    let cutting: Buffer | undefined;
    // The partial answer is sent: nothing more goes to the client.
    let cut = false;
    client.on("data", (chunk: Buffer) => {
      // A request's first chunk starts with its request line; later chunks of a body do not.
      const head = chunk.toString("latin1");
      const decision = /^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(head) ? options.decide(head) : "forward";
      if (decision === "cut") return close();
      if (typeof decision === "object") {
        client.end(decision.answer);
        return;
      }
      if (decision === "cut-mid-answer") cutting = Buffer.alloc(0);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (cut) return;
      if (cutting === undefined) return client.write(chunk);
      cutting = Buffer.concat([cutting, chunk]);
      const headerEnd = cutting.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      cut = true;
      // Close once the partial answer is flushed to the socket (the client reads it before the
      // end), not after a fixed delay: on a loaded machine more of the answer arrived within
      // 50 ms and was sent again after the partial one.
      client.write(cutting.subarray(0, headerEnd + 4 + BODY_BYTES_BEFORE_CUT), () => close());
    });
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socketPath, resolve));
  return {
    socketPath,
    destroyAll: () => {
      for (const s of open) s.destroy();
    },
    stopListening: () => {
      if (server.listening) server.close();
      rmSync(socketPath, { force: true });
    },
    close: async () => {
      for (const s of open) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(socketPath, { force: true });
    },
  };
}
