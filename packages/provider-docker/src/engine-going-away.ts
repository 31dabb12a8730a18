import { connect } from "node:net";
import type Dockerode from "dockerode";
import { VMError } from "@vm/provider-kit";

/** Where a modem sends its requests: a Unix socket, or a TCP host and port. */
type Endpoint = { path: string } | { host: string; port: number } | undefined;

interface ModemAddress {
  socketPath?: unknown;
  host?: unknown;
  port?: unknown;
  protocol?: unknown;
}

async function endpointOf(docker: Dockerode): Promise<Endpoint> {
  const modem = (docker as unknown as { modem?: ModemAddress }).modem;
  if (!modem) return undefined;
  // docker-modem keeps the default socket as a function that finds it.
  const socketPath = typeof modem.socketPath === "function" ? await (modem.socketPath as () => Promise<unknown>)() : modem.socketPath;
  if (typeof socketPath === "string" && socketPath.length > 0) return { path: socketPath };
  // An ssh:// engine is reached through a tunnel a plain connect cannot test.
  if (modem.protocol === "ssh") return undefined;
  const port = Number(modem.port);
  if (typeof modem.host === "string" && modem.host.length > 0 && Number.isInteger(port) && port > 0) return { host: modem.host, port };
  return undefined;
}

/**
 * Whether a new connection to the engine is refused. A dockerd that is shutting down closes its
 * API listener (its Unix socket is unlinked) before it stops its containers, while connections
 * already open (a log stream, a keep-alive socket) still carry answers. So a call in flight then
 * gets odd answers — a container "exited" with its init's status, a start that failed on the
 * engine's closed network store — and a fresh connect is what tells them apart from the same
 * answers of a healthy engine. Unknown (an ssh:// engine, a connect that does not settle within
 * `timeoutMs`) counts as not refused: the caller keeps the error it has.
 */
export async function engineRefusesConnections(docker: Dockerode, timeoutMs = 2_000): Promise<boolean> {
  let endpoint: Endpoint;
  try {
    endpoint = await endpointOf(docker);
  } catch {
    return false;
  }
  if (!endpoint) return false;
  const target = endpoint;
  return new Promise<boolean>((resolve) => {
    const socket = "path" in target ? connect(target.path) : connect(target.port, target.host);
    const settle = (refused: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(refused);
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    socket.once("connect", () => settle(false));
    socket.once("error", (err: NodeJS.ErrnoException) => settle(err.code === "ENOENT" || err.code === "ECONNREFUSED"));
  });
}

/**
 * What a failed call reports when the engine may have been going away under it: `err` as it is
 * when it already says so (UNAVAILABLE), is the caller's (ABORTED, TIMEOUT) or is about the
 * input (INVALID_ARGUMENT); otherwise UNAVAILABLE when the engine now refuses new connections,
 * with `err` kept as the cause; otherwise `err`.
 */
export async function unlessEngineWentAway(docker: Dockerode, err: VMError): Promise<VMError> {
  if (["UNAVAILABLE", "ABORTED", "TIMEOUT", "INVALID_ARGUMENT"].includes(err.code)) return err;
  if (!(await engineRefusesConnections(docker))) return err;
  return new VMError("UNAVAILABLE", `the Docker engine went away during the call (it no longer accepts connections; it answered: ${err.message})`, {
    ...(err.provider === undefined ? {} : { provider: err.provider }),
    ...(err.operation === undefined ? {} : { operation: err.operation }),
    cause: err,
  });
}
