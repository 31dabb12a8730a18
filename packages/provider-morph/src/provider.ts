import type { Logger, ProviderCapabilities, VMProvider } from "@vm/core";
import { createPM2ProcessService, pm2Save } from "@vm/pm2";
import { assertInteger, capabilitiesWithout, createExecFileService, lateBoundExec, readOptionsObject } from "@vm/provider-kit";
import { createMorphClient, type MorphClientOptions } from "./api-client/base-client.js";
import { MORPH_DEFAULT_MAX_EVENT_BYTES } from "./api-client/body.js";
import {
  MORPH_DEFAULT_BOOT_TIMEOUT_MS,
  MORPH_DEFAULT_EXEC_TIMEOUT_MS,
  MORPH_DEFAULT_MAX_ARG_BYTES,
  MORPH_DEFAULT_MAX_REQUEST_BYTES,
  MORPH_DEFAULT_SNAPSHOT_TIMEOUT_MS,
  MORPH_MAX_REQUEST_BYTES,
} from "./defaults.js";
import { MAX_TIMEOUT_MS, resolveClientOptions } from "./api-client/config.js";
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
   * @default MORPH_DEFAULT_BOOT_TIMEOUT_MS (180000)
   */
  bootTimeoutMs?: number;
  /**
   * How long snapshot creation may take to reach `ready`, in ms.
   * @default MORPH_DEFAULT_SNAPSHOT_TIMEOUT_MS (600000)
   */
  snapshotTimeoutMs?: number;
  /**
   * HTTP timeout of an exec without `ExecOptions.timeoutMs`, in ms (`false` for none): it
   * bounds the whole answer, and the whole stream of an `execStream`.
   * @default MORPH_DEFAULT_EXEC_TIMEOUT_MS (600000)
   */
  execTimeoutMs?: number | false;
  /**
   * Largest `exec/sse` event (or run of bytes completing none), in bytes: past it `execStream`
   * fails `RESOURCE_EXHAUSTED`.
   * @default MORPH_DEFAULT_MAX_EVENT_BYTES (8 MiB)
   */
  maxEventBytes?: number;
  /**
   * Largest single argv argument used for file content, from 8 bytes to `maxRequestBytes`.
   *
   * @default MORPH_DEFAULT_MAX_ARG_BYTES (96 KiB)
   */
  maxArgBytes?: number;
  /**
   * Largest argv of one file exec, from 16 KiB to `MORPH_MAX_REQUEST_BYTES` (112 KiB): every
   * exec travels as one shell line, which Linux caps at 128 KiB.
   *
   * @default MORPH_DEFAULT_MAX_REQUEST_BYTES (104 KiB)
   */
  maxRequestBytes?: number;
  /**
   * Gets debug lines (method, path, status, attempt), never headers or the key.
   *
   * @default none: nothing is logged
   */
  logger?: Logger;
}

// Every option's name: a record over the options type, so a new option fails to compile until listed.
const OPTION_KEYS: Record<keyof MorphVMProviderOptions, true> = {
  apiKey: true,
  baseUrl: true,
  timeoutMs: true,
  retry: true,
  logger: true,
  maxResponseBytes: true,
  bootTimeoutMs: true,
  snapshotTimeoutMs: true,
  execTimeoutMs: true,
  maxEventBytes: true,
  maxArgBytes: true,
  maxRequestBytes: true,
};

/**
 * What the Morph provider really supports. `stop` is a pause marked stopped (files kept, no
 * resume); `pause`/`resume` and `ttl_action: "pause"` are Morph's own; `stdin`, `execUser`
 * work through the exec wrapper. `stdinStream` is false: Morph's exec is one request whose
 * command carries all of stdin, so nothing can be fed once it runs.
 */
export const MORPH_CAPABILITIES: ProviderCapabilities = capabilitiesWithout(["stdinStream"]);

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
  // A checked copy: a plain object with only known keys (a typo is an error, not ignored).
  const raw = (readOptionsObject(options, setup, "options", Object.keys(OPTION_KEYS)) ?? {}) as MorphVMProviderOptions;
  options = raw;
  const bootTimeoutMs = raw.bootTimeoutMs ?? MORPH_DEFAULT_BOOT_TIMEOUT_MS;
  assertInteger(bootTimeoutMs, setup, "bootTimeoutMs", 1, MAX_TIMEOUT_MS);
  const snapshotTimeoutMs = raw.snapshotTimeoutMs ?? MORPH_DEFAULT_SNAPSHOT_TIMEOUT_MS;
  assertInteger(snapshotTimeoutMs, setup, "snapshotTimeoutMs", 1, MAX_TIMEOUT_MS);
  const execTimeoutMs = raw.execTimeoutMs ?? MORPH_DEFAULT_EXEC_TIMEOUT_MS;
  if (execTimeoutMs !== false) assertInteger(execTimeoutMs, setup, "execTimeoutMs", 1, MAX_TIMEOUT_MS);
  const maxEventBytes = raw.maxEventBytes ?? MORPH_DEFAULT_MAX_EVENT_BYTES;
  assertInteger(maxEventBytes, setup, "maxEventBytes", 1024, 2 ** 30);
  const maxRequestBytes = raw.maxRequestBytes ?? MORPH_DEFAULT_MAX_REQUEST_BYTES;
  assertInteger(maxRequestBytes, setup, "maxRequestBytes", 16 * 1024, MORPH_MAX_REQUEST_BYTES);
  const maxArgBytes = raw.maxArgBytes ?? Math.min(MORPH_DEFAULT_MAX_ARG_BYTES, maxRequestBytes);
  assertInteger(maxArgBytes, setup, "maxArgBytes", 8, maxRequestBytes);
  // The client's own options, with this call's name in their errors (the client checks them again).
  resolveClientOptions(options, setup);
  const client = createMorphClient(options);
  const logger = options.logger;
  // `pm2 save` before a fork runs through the instance service being built.
  const { exec, bind } = lateBoundExec("morph");
  const saveProcesses = (instanceId: string) => pm2Save(exec, instanceId);
  const instances = createMorphInstanceService({
    client,
    bootTimeoutMs,
    execTimeoutMs,
    maxEventBytes,
    beforeFork: saveProcesses,
    ...(logger ? { logger } : {}),
  });
  bind(instances.exec.bind(instances));
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
      maxArgBytes,
      maxRequestBytes,
    }),
    processes: createPM2ProcessService(exec, { provider: "morph", execStream: instances.execStream.bind(instances) }),
  };
}
