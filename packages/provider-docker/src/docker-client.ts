/**
 * A `Dockerode` instance, as `DockerVMProviderOptions.docker` accepts it. Typed by its shape,
 * not by `@types/dockerode`, so this package's public types need no `@types/*` package (they
 * would pull `@types/node` into every consumer); any `new Dockerode(...)` fits.
 *
 * @example
 * ```ts
 * import Dockerode from "dockerode";
 * import { createDockerVMProvider } from "@vm/provider-docker";
 * const provider = createDockerVMProvider({ docker: new Dockerode({ socketPath: "/run/user/1000/docker.sock" }) });
 * ```
 */
export interface DockerodeInstance {
  /** The instance's `docker-modem`, which every request goes through. */
  readonly modem: object;
  listContainers(...args: never[]): unknown;
}

/**
 * Options for the `Dockerode` the provider makes when `docker` is not an instance: the
 * connection settings of `new Dockerode(options)` (docker-modem's options, passed through).
 */
export interface DockerConnectionOptions {
  /**
   * Path of the engine's unix socket (e.g. `/var/run/docker.sock`).
   *
   * @default `DOCKER_HOST`'s socket, else `/var/run/docker.sock`
   */
  socketPath?: string;
  /**
   * Engine host for `http`, `https` or `ssh`.
   *
   * @default from a `tcp://` or `ssh://` `DOCKER_HOST`, else none (the unix socket is used)
   */
  host?: string;
  /**
   * Engine port.
   *
   * @default from `DOCKER_HOST` (`tcp://host:port`, `ssh://...`)
   */
  port?: number | string;
  /**
   * Transport to the engine.
   *
   * @default from `DOCKER_HOST` (`https` with `DOCKER_TLS_VERIFY=1` or port 2376), else `https` when `ca`, `cert` and `key` are all given, else `http`
   */
  protocol?: "https" | "http" | "ssh";
  /**
   * User for `ssh`.
   *
   * @default from an `ssh://user@host` `DOCKER_HOST`, else the ssh client's default
   */
  username?: string;
  /**
   * TLS material for `https` (PEM text or bytes).
   *
   * @default read from `DOCKER_CERT_PATH` with a `tcp://` `DOCKER_HOST`, else none
   */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /**
   * Client certificate for `https`.
   *
   * @default read from `DOCKER_CERT_PATH` with a `tcp://` `DOCKER_HOST`, else none
   */
  cert?: string | Uint8Array | Array<string | Uint8Array>;
  /**
   * Client key for `https`.
   *
   * @default read from `DOCKER_CERT_PATH` with a `tcp://` `DOCKER_HOST`, else none
   */
  key?: string | Uint8Array | Array<string | Uint8Array>;
  /**
   * Engine API version, e.g. `"v1.43"`; unset: the engine's own.
   *
   * @default the engine's own API version
   */
  version?: string;
  /** Any other docker-modem option (`headers`, `sshOptions`, ...), passed through unchanged. */
  [option: string]: unknown;
}
