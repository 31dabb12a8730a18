import type { Logger, ProviderCapabilities, VMProvider } from "@vm/core";
import { createPM2ProcessService, pm2Save } from "@vm/pm2";
import { PM2_RESURRECT_SCRIPT } from "@vm/pm2/internal";
import { VMError, assertInteger, assertLogger, capabilitiesWithout, lateBoundExec, readOptionsObject } from "@vm/provider-kit";
import Dockerode from "dockerode";
import type { DockerConnectionOptions, DockerodeInstance } from "./docker-client.js";
import { createManagedCheck } from "./containers.js";
import type { DockerContext } from "./context.js";
import { createFileService } from "./services/files.js";
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from "./defaults.js";
import { createImageService } from "./services/images.js";
import { createInstanceService } from "./services/instances.js";
import { createSnapshotService } from "./services/snapshots.js";
import { engineKindProbe } from "./engine-kind.js";
import { withRequestTimeouts } from "./request-timeout.js";

/**
 * This package's version (kept equal to package.json by a unit test); also `provider.version`.
 */
export const DOCKER_PROVIDER_VERSION = "0.1.0";

/**
 * Default bound on how long `boot()` waits for an instance to be ready: 60 s.
 */
export const DEFAULT_BOOT_TIMEOUT_MS = 60_000;

/**
 * Options for `createDockerVMProvider()`.
 *
 * @example
 * ```ts
 * import type { DockerVMProviderOptions } from "@vm/provider-docker";
 * const options: DockerVMProviderOptions = { network: "host", maxOutputBytes: 16 * 1024 * 1024 };
 * ```
 */
export interface DockerVMProviderOptions {
  /**
   * A Dockerode instance, or options for one (`{ socketPath }`, `{ host, port, protocol }`, ...).
   * Default: `new Dockerode()`, which honours `DOCKER_HOST` (unix://, tcp://, ssh://) and
   * falls back to `/var/run/docker.sock`. The provider never starts an engine.
   *
   * @default `new Dockerode()` (`DOCKER_HOST`, else `/var/run/docker.sock`)
   */
  docker?: DockerodeInstance | DockerConnectionOptions;
  /**
   * Network for new instances: `"none"`, `"host"`, `"bridge"` or a named network. Default: the engine's default.
   *
   * @default the engine's default network
   */
  network?: string;
  /**
   * Gets debug lines with ids and codes, never env values or file content.
   *
   * @default none: nothing is logged
   */
  logger?: Logger;
  /**
   * Cap on what one `exec()` collects (stdout + stderr). Default 64 MiB. `execStream` has no cap.
   *
   * @default `DEFAULT_MAX_OUTPUT_BYTES` (64 MiB)
   */
  maxOutputBytes?: number;
  /**
   * Largest file `files.readFile`/`readFileBytes` read (they hold it in memory): past it they fail
   * with INVALID_ARGUMENT before any content is transferred. Default 1 GiB. `readFile` is also
   * capped at the longest string V8 can hold (`buffer.constants.MAX_STRING_LENGTH` bytes).
   *
   * @default `DEFAULT_MAX_FILE_BYTES` (1 GiB)
   */
  maxFileBytes?: number;
  /**
   * Extra labels put on every container and image this provider creates (e.g. a test run id).
   *
   * @default `{}`
   */
  labels?: Record<string, string>;
  /**
   * Default for `BootOptions.timeoutMs`. Default 60 s.
   *
   * @default `DEFAULT_BOOT_TIMEOUT_MS` (60 s)
   */
  bootTimeoutMs?: number;
  /**
   * How long the engine may take to answer one request before the call fails with UNAVAILABLE
   * "Docker engine did not answer … within N ms (requestTimeoutMs)": a frozen engine, or a
   * socket that accepts and never answers. Default 60 s (`DEFAULT_REQUEST_TIMEOUT_MS`).
   * Short calls (inspect, list, create, start, exec create/inspect, tag) are bounded whole;
   * streams (exec attach, logs, archive download) until their response starts, not after (a
   * quiet command is legitimate: use `timeoutMs`/`signal`); calls that legitimately take long
   * (commit, stop, remove, an archive upload) are not cut: while they run the engine is pinged,
   * and a ping unanswered for `requestTimeoutMs` fails them.
   *
   * @default `DEFAULT_REQUEST_TIMEOUT_MS` (60 s)
   */
  requestTimeoutMs?: number;
}

/**
 * What the Docker provider really supports. `ttlPause` is false: the TTL runs in the
 * container's own init, which cannot freeze its container. Everything else works on an image
 * with POSIX `sh` (and bash, coreutils, GNU find for the file operations and `expose`; pm2 for
 * `processes`).
 */
export const DOCKER_CAPABILITIES: ProviderCapabilities = capabilitiesWithout(["ttlPause"]);

function isDockerode(value: unknown): value is Dockerode {
  return value instanceof Dockerode || (typeof value === "object" && value !== null && "modem" in value && typeof (value as Dockerode).listContainers === "function");
}

// The public option is typed by shape (no @types/dockerode in the public types); here it becomes a Dockerode.
// Every option's name: a record over the options type, so a new option fails to compile until listed.
const OPTION_KEYS: Record<keyof DockerVMProviderOptions, true> = {
  docker: true,
  network: true,
  logger: true,
  maxOutputBytes: true,
  maxFileBytes: true,
  labels: true,
  bootTimeoutMs: true,
  requestTimeoutMs: true,
};

function dockerClientOf(docker: DockerodeInstance | DockerConnectionOptions | undefined): Dockerode {
  return isDockerode(docker) ? docker : new Dockerode(docker as Dockerode.DockerOptions | undefined);
}

/**
 * The `@vm/core` contract on a Docker engine: instances are containers (kept alive by an
 * init that also resurrects PM2 processes and enforces the TTL), snapshots are committed
 * images, files go through the archive API and exec.
 *
 * @example
 * ```ts
 * import { createDockerVMProvider } from "@vm/provider-docker";
 *
 * const provider = createDockerVMProvider({ network: "none" });
 * const snapshot = await provider.snapshots.fromImage("vm-base:latest");
 * // `await using` needs Node 24+, or TypeScript 5.2+ compiling it to try/finally (target ES2023) for Node 22.
 * await using vm = await provider.instances.boot(snapshot.id, { ttl_seconds: 600, ttl_action: "terminate" });
 * const { stdout } = await provider.instances.exec(vm.id, ["echo", "Hello World"]);
 * console.log(stdout); // "Hello World\n"
 * ```
 */
export function createDockerVMProvider(options: DockerVMProviderOptions = {}): VMProvider {
  const setup = { provider: "docker", operation: "createDockerVMProvider" };
  // A copy, checked: a plain object with only known keys (a typo is an error, not ignored).
  options = readOptionsObject(options, setup, "options", Object.keys(OPTION_KEYS)) ?? {};
  assertLogger(options.logger, setup);
  if (options.docker !== undefined && (typeof options.docker !== "object" || options.docker === null || Array.isArray(options.docker))) {
    throw new VMError("INVALID_ARGUMENT", "docker must be a Dockerode instance or its connection options (an object)", setup);
  }
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  assertInteger(maxOutputBytes, setup, "maxOutputBytes", 1, 2 ** 31);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  assertInteger(maxFileBytes, setup, "maxFileBytes", 1);
  const bootTimeoutMs = options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS;
  assertInteger(bootTimeoutMs, setup, "bootTimeoutMs", 1, 2_147_483_647);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  assertInteger(requestTimeoutMs, setup, "requestTimeoutMs", 1, 2_147_483_647);
  if (options.network !== undefined && (typeof options.network !== "string" || options.network.length === 0)) {
    throw new VMError("INVALID_ARGUMENT", "network must be a non-empty string", setup);
  }
  const extraLabels = options.labels ?? {};
  const labelsProto = typeof extraLabels === "object" && extraLabels !== null ? (Object.getPrototypeOf(extraLabels) as unknown) : undefined;
  if (labelsProto !== Object.prototype && labelsProto !== null) throw new VMError("INVALID_ARGUMENT", "labels must be a plain object of strings", setup);
  for (const [key, value] of Object.entries(extraLabels)) {
    if (typeof value !== "string" || key.length === 0 || key.startsWith("dev.vm.")) {
      throw new VMError("INVALID_ARGUMENT", `label ${JSON.stringify(key)} must be a string outside the reserved dev.vm.* namespace`, setup);
    }
  }
  // Every request of this provider goes through the bounded view; a caller's Dockerode is not changed.
  const docker = withRequestTimeouts(dockerClientOf(options.docker), requestTimeoutMs);
  const ctx: DockerContext = {
    docker,
    provider: "docker",
    network: options.network,
    logger: options.logger,
    maxOutputBytes,
    maxFileBytes,
    bootTimeoutMs,
    extraLabels,
    engineKind: engineKindProbe(docker),
  };
  const ensureManaged = createManagedCheck(ctx);
  // Snapshots run `pm2 save` through the instance service, which needs the snapshots (fork).
  const { exec, bind } = lateBoundExec("docker");
  const snapshots = createSnapshotService(ctx, exec, (run, id) => pm2Save(run, id, { provider: "docker" }));
  const instances = createInstanceService(ctx, PM2_RESURRECT_SCRIPT, snapshots, ensureManaged);
  bind(instances.exec.bind(instances));
  return {
    name: "docker",
    version: DOCKER_PROVIDER_VERSION,
    ...(options.logger ? { logger: options.logger } : {}),
    capabilities: DOCKER_CAPABILITIES,
    instances,
    snapshots: {
      get: (snapshotId) => snapshots.get(snapshotId),
      list: (filters) => snapshots.list(filters),
      create: (instanceId, opts) => snapshots.create(instanceId, opts),
      delete: (snapshotId) => snapshots.delete(snapshotId),
      fromImage: (imageId, opts) => snapshots.fromImage(imageId, opts),
    },
    images: createImageService(ctx),
    files: createFileService(ctx, ensureManaged),
    processes: createPM2ProcessService(exec, { provider: "docker", execStream: instances.execStream.bind(instances), execStreamStdin: true }),
  };
}
