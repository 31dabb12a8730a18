import type { ExecFunction, Logger, ProviderCapabilities, VMProvider } from "@vm/core";
import { createPM2ProcessService, pm2Save } from "@vm/pm2";
import { assertInteger, createExecFileService } from "@vm/provider-kit";
import { createMorphClient, type MorphClientOptions } from "./api-client/base-client.js";
import { MORPH_DEFAULT_MAX_EVENT_BYTES } from "./api-client/body.js";
import { MAX_TIMEOUT_MS, checkOptionsObject, resolveClientOptions } from "./api-client/config.js";
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
  /**
   * How long `boot()`/`fork()` wait for `ready` unless `BootOptions.timeoutMs` says otherwise, in ms.
   * @default 180000
   */
  bootTimeoutMs?: number;
  /**
   * How long snapshot creation may take to reach `ready`, in ms.
   * @default 600000
   */
  snapshotTimeoutMs?: number;
  /**
   * HTTP timeout of an exec without `ExecOptions.timeoutMs`, in ms (`false` for none): it
   * bounds the whole answer, and the whole stream of an `execStream`.
   * @default 600000
   */
  execTimeoutMs?: number | false;
  /**
   * Largest `exec/sse` event (or run of bytes completing none), in bytes: past it `execStream`
   * fails `RESOURCE_EXHAUSTED`.
   * @default MORPH_DEFAULT_MAX_EVENT_BYTES (8 MiB)
   */
  maxEventBytes?: number;
  /**
   * Largest single argv argument used for file content (default 120 KiB; Linux caps it at 128 KiB).
   *
   * @default `122880` (120 KiB)
   */
  maxArgBytes?: number;
  /**
   * Largest argv of one file exec (default 1.5 MiB).
   *
   * @default `1572864` (1.5 MiB)
   */
  maxRequestBytes?: number;
  /**
   * Gets debug lines (method, path, status, attempt), never headers or the key.
   *
   * @default none: nothing is logged
   */
  logger?: Logger;
}

/**
 * What the Morph provider really supports. `stop` pauses (files kept); `pause` is false
 * because the contract has no resume call; `stdin`, `execUser` work through the exec wrapper.
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
 * const snapshot = await provider.snapshots.fromImage("morphvm-minimal");
 * // `await using` needs Node 24+, or TypeScript 5.2+ compiling it to try/finally (target ES2023) for Node 22.
 * await using vm = await provider.instances.boot(snapshot.id, { ttl_seconds: 600, ttl_action: "terminate" });
 * const { stdout } = await provider.instances.exec(vm.id, ["echo", "Hello World"]);
 * console.log(stdout);
 * ```
 */
export function createMorphVMProvider(options: MorphVMProviderOptions = {}): VMProvider {
  // Every option is checked here, before anything is made: a wrong one is INVALID_ARGUMENT now,
  // not a TypeError (or an INTERNAL on every call) later. The client checks its own.
  const setup = { provider: "morph", operation: "createMorphVMProvider" };
  const raw = checkOptionsObject(options, setup);
  const bootTimeoutMs = raw.bootTimeoutMs ?? 180_000;
  assertInteger(bootTimeoutMs, setup, "bootTimeoutMs", 1, MAX_TIMEOUT_MS);
  const snapshotTimeoutMs = raw.snapshotTimeoutMs ?? 600_000;
  assertInteger(snapshotTimeoutMs, setup, "snapshotTimeoutMs", 1, MAX_TIMEOUT_MS);
  const execTimeoutMs = raw.execTimeoutMs ?? 600_000;
  if (execTimeoutMs !== false) assertInteger(execTimeoutMs, setup, "execTimeoutMs", 1, MAX_TIMEOUT_MS);
  const maxEventBytes = raw.maxEventBytes ?? MORPH_DEFAULT_MAX_EVENT_BYTES;
  assertInteger(maxEventBytes, setup, "maxEventBytes", 1024, 2 ** 30);
  // The client's own options, with this call's name in their errors (the client checks them again).
  resolveClientOptions(options, setup);
  const client = createMorphClient(options);
  const logger = options.logger;
  let exec: ExecFunction = () => Promise.reject(new Error("not ready"));
  const saveProcesses = (instanceId: string) => pm2Save(exec, instanceId);
  const instances = createMorphInstanceService({
    client,
    bootTimeoutMs,
    execTimeoutMs,
    maxEventBytes,
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
      readyTimeoutMs: snapshotTimeoutMs,
      beforeSnapshot: saveProcesses,
    }),
    images: createMorphImageService(client),
    files: createExecFileService({
      provider: "morph",
      exec,
      stdin: false,
      fileOwnership: MORPH_CAPABILITIES.fileOwnership,
      ...(options.maxArgBytes === undefined ? {} : { maxArgBytes: options.maxArgBytes }),
      ...(options.maxRequestBytes === undefined ? {} : { maxRequestBytes: options.maxRequestBytes }),
    }),
    processes: createPM2ProcessService(exec, { provider: "morph" }),
  };
}
