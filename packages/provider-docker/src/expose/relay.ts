import { type Server, type Socket, createServer } from "node:net";
import type { ExposedService } from "@vm/core";
import { VMError } from "@vm/provider-kit";
import type { DockerContext } from "../context.js";
import { fromDockerError } from "../errors.js";
import { openTunnel } from "./tunnel.js";

/**
 * Most connections one exposed service carries at once. Each is an exec (a bash and two cats)
 * in the container: past this, a new connection is closed at once instead of piling up execs.
 */
export const MAX_CONNECTIONS_PER_SERVICE = 128;

/** How long a connection whose client ended its side (FIN) may still carry the answer. */
const CLIENT_END_GRACE_MS = 5_000;

/** One exposed service: a listener on 127.0.0.1 in this process, and its open connections. */
interface Relay {
  readonly service: ExposedService;
  readonly server: Server;
  readonly sockets: Set<Socket>;
}

/**
 * The exposed services of one Docker provider, by container id. Each is a TCP listener on
 * 127.0.0.1 in this process; each connection it accepts is carried to the port on the
 * container's loopback by one tunnel exec (`openTunnel`). Raw TCP, so HTTP, streamed responses
 * and WebSocket upgrades pass through unchanged. Needs no bridge network and no published
 * port (a running container cannot gain one anyway).
 *
 * The listeners do not keep the process alive (`unref`), and they go with it: a URL lives in
 * the process that exposed it.
 */
export class ExposeRegistry {
  readonly #ctx: DockerContext;
  readonly #relays = new Map<string, Map<string, Relay>>();

  constructor(ctx: DockerContext) {
    this.#ctx = ctx;
  }

  /** The services exposed for `containerId`, by name. */
  servicesOf(containerId: string): ExposedService[] {
    return [...(this.#relays.get(containerId)?.values() ?? [])].map((r) => r.service).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Starts the listener for `name` (replacing one of that name) and returns its service. */
  async expose(containerId: string, port: number, name: string, operation: string): Promise<ExposedService> {
    const sockets = new Set<Socket>();
    // allowHalfOpen: a client that ends its side after its request still gets the answer.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.#accept(containerId, name, relay, socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(new VMError("UNAVAILABLE", `could not listen on 127.0.0.1 for ${name}: ${err.message}`, { provider: this.#ctx.provider, operation, cause: err })));
      server.listen({ host: "127.0.0.1", port: 0 }, resolve);
    });
    server.unref();
    // Past listen, a listener error (EMFILE on accept, say) must not crash the caller's process.
    server.on("error", (err) => this.#ctx.logger?.warn("docker: exposed service listener error", { id: containerId, name, message: err.message }));
    const address = server.address();
    const localPort = typeof address === "object" && address !== null ? address.port : 0;
    const relay: Relay = { service: { name, port, url: `http://127.0.0.1:${localPort}/`, auth: "none" }, server, sockets };
    const byName = this.#relays.get(containerId) ?? new Map<string, Relay>();
    const previous = byName.get(name);
    byName.set(name, relay);
    this.#relays.set(containerId, byName);
    if (previous) this.#close(previous);
    this.#ctx.logger?.debug("docker: exposed", { id: containerId, name, port, url: relay.service.url });
    return relay.service;
  }

  /** Closes `name`'s listener and its connections; false when there is no such service. */
  unexpose(containerId: string, name: string): boolean {
    const byName = this.#relays.get(containerId);
    const relay = byName?.get(name);
    if (!byName || !relay) return false;
    byName.delete(name);
    if (byName.size === 0) this.#relays.delete(containerId);
    this.#close(relay);
    return true;
  }

  /** Closes every service of `containerId` (it was terminated). */
  closeInstance(containerId: string): void {
    for (const name of [...(this.#relays.get(containerId)?.keys() ?? [])]) this.unexpose(containerId, name);
  }

  #close(relay: Relay): void {
    relay.server.close();
    for (const socket of relay.sockets) socket.destroy();
    relay.sockets.clear();
  }

  #accept(containerId: string, name: string, relay: Relay, socket: Socket): void {
    if (relay.sockets.size >= MAX_CONNECTIONS_PER_SERVICE) {
      this.#ctx.logger?.warn("docker: exposed service at its connection limit; a connection was closed", { id: containerId, name, limit: MAX_CONNECTIONS_PER_SERVICE });
      socket.destroy();
      return;
    }
    relay.sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => relay.sockets.delete(socket));
    openTunnel(this.#ctx.docker, containerId, { port: relay.service.port }).then(
      (tunnel) => {
        if (socket.destroyed || !relay.sockets.has(socket)) {
          tunnel.destroy();
          return;
        }
        socket.on("close", () => tunnel.destroy());
        // The client is done sending (FIN). The tunnel cannot pass a half-close on (its script
        // reads the end of its stdin as "the client is gone"), and a service that never closes
        // (keep-alive, WebSocket, echo) would hold the tunnel and its slot for ever: give the
        // answer in flight 5 s, then end both sides.
        socket.on("end", () => {
          setTimeout(() => {
            tunnel.destroy();
            socket.destroy();
          }, CLIENT_END_GRACE_MS).unref();
        });
        tunnel.on("error", () => socket.destroy());
        // The service closed the connection: finish sending what it said, then close ours.
        tunnel.on("end", () => socket.end());
        // ...and a client that never reads the rest (or never closes its side) is cut off soon after.
        tunnel.on("close", () => {
          socket.end();
          setTimeout(() => socket.destroy(), 5_000).unref();
        });
        socket.pipe(tunnel);
        tunnel.pipe(socket);
        socket.resume();
      },
      (err: unknown) => {
        socket.destroy();
        const vmErr = fromDockerError(err, { provider: this.#ctx.provider, operation: "instances.expose" });
        // The instance is gone (terminated elsewhere): nothing may stay listening for it.
        if (vmErr.code === "NOT_FOUND") this.closeInstance(containerId);
        this.#ctx.logger?.debug("docker: exposed connection refused", { id: containerId, name, code: vmErr.code });
      },
    );
  }
}
