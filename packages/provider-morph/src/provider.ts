import type { ExecFunction, Logger, ProviderCapabilities, VMProvider } from "@vm/core";
import { createPM2ProcessService, pm2Save } from "@vm/pm2";
import { createExecFileService } from "@vm/provider-kit";
import { createMorphClient, type MorphClientOptions } from "./api-client/base-client.js";
import { createMorphImageService } from "./services/images.js";
import { createMorphInstanceService } from "./services/instances.js";
import { createMorphSnapshotService } from "./services/snapshots.js";
import { MORPH_PROVIDER_VERSION } from "./version.js";

/**
 * Options of `createMorphVMProvider()`.
 *
 * @example
 * ```ts
 * import type { MorphVMProviderOptions } from "@vm/provider-morph";
 * const options: MorphVMProviderOptions = {
 *   baseUrl: "http://127.0.0.1:3737/api",
 *   timeoutMs: 30_000,
 *   retry: { attempts: 4 },
 * };
 * ```
 */
export interface MorphVMProviderOptions extends MorphClientOptions {
  /** How long `boot()`/`fork()` wait for `ready` unless `BootOptions.timeoutMs` says otherwise (default 180 s). */
  bootTimeoutMs?: number;
  /** How long snapshot creation may take to reach `ready` (default 600 s). */
  snapshotTimeoutMs?: number;
  /** HTTP timeout of an exec without `ExecOptions.timeoutMs` (default 600 s; `false` for none). */
  execTimeoutMs?: number | false;
  /** Largest single argv argument used for file content (default 120 KiB; Linux caps it at 128 KiB). */
  maxArgBytes?: number;
  /** Largest argv of one file exec (default 1.5 MiB). */
  maxRequestBytes?: number;
  logger?: Logger;
}

/**
 * What the Morph provider really supports. `stop` pauses (files kept); `pause` is false
 * because the contract has no resume call; `stdin`, `execUser` work through the exec wrapper.
 *
 * @example
 * ```ts
 * import { MORPH_CAPABILITIES } from "@vm/provider-morph";
 * console.log(MORPH_CAPABILITIES.fork); // true
 * ```
 */
export const MORPH_CAPABILITIES: ProviderCapabilities = Object.freeze({
  fork: true,
  ttl: true,
  snapshots: true,
  fromImage: true,
  images: true,
  stdin: true,
  execUser: true,
  execStream: true,
  stop: true,
  pause: false,
  fileOwnership: true,
  processes: true,
});

/**
 * The `@vm/core` contract on Morph Cloud's REST API (or the local emulator).
 *
 * @example
 * ```ts
 * import { createMorphVMProvider } from "@vm/provider-morph";
 * const provider = createMorphVMProvider({ baseUrl: "http://127.0.0.1:3737/api", apiKey: "dev-key" });
 * const snapshot = await provider.snapshots.fromImage("morphvm-minimal", { digest: "example-base" });
 * await using vm = await provider.instances.boot(snapshot.id, { ttl_seconds: 600, ttl_action: "terminate" });
 * const { stdout } = await provider.instances.exec(vm.id, ["echo", "Hello World"]);
 * console.log(stdout);
 * ```
 */
export function createMorphVMProvider(options: MorphVMProviderOptions = {}): VMProvider {
  const client = createMorphClient(options);
  const logger = options.logger;
  let exec: ExecFunction = () => Promise.reject(new Error("not ready"));
  const saveProcesses = (instanceId: string) => pm2Save(exec, instanceId);
  const instances = createMorphInstanceService({
    client,
    bootTimeoutMs: options.bootTimeoutMs ?? 180_000,
    execTimeoutMs: options.execTimeoutMs ?? 600_000,
    beforeFork: saveProcesses,
    ...(logger ? { logger } : {}),
  });
  exec = instances.exec.bind(instances);
  return {
    name: "morph",
    version: MORPH_PROVIDER_VERSION,
    ...(logger ? { logger } : {}),
    capabilities: MORPH_CAPABILITIES,
    instances,
    snapshots: createMorphSnapshotService({
      client,
      readyTimeoutMs: options.snapshotTimeoutMs ?? 600_000,
      beforeSnapshot: saveProcesses,
    }),
    images: createMorphImageService(client),
    files: createExecFileService({
      provider: "morph",
      exec,
      stdin: false,
      ...(options.maxArgBytes === undefined ? {} : { maxArgBytes: options.maxArgBytes }),
      ...(options.maxRequestBytes === undefined ? {} : { maxRequestBytes: options.maxRequestBytes }),
    }),
    processes: createPM2ProcessService(exec, { provider: "morph" }),
  };
}
