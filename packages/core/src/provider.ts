import type { ProviderCapabilities } from "./capabilities.js";
import type { VMFileService } from "./files.js";
import type { VMImageService } from "./images.js";
import type { VMInstanceService } from "./instances.js";
import type { Logger } from "./logger.js";
import type { VMProcessService } from "./processes.js";
import type { VMSnapshotService } from "./snapshots.js";

/**
 * One interface over every VM backend. Write against it once; swap Docker for Morph with one line.
 *
 * Arguments: every method rejects a wrong type for any argument with `VMError`
 * `INVALID_ARGUMENT` before any work, identically on every provider. `undefined` for an
 * optional argument (or option field) means its default; `null` is a wrong type, not "absent".
 * Options and filters must be plain objects (`{...}`) with only the documented keys, each a
 * data property (no getters); an unknown key is `INVALID_ARGUMENT` (a typo such as `timeout`
 * for `timeoutMs` is not silently ignored). A `signal` that is already aborted is `ABORTED`.
 *
 * @example
 * ```ts
 * import type { VMProvider } from "@vm/core";
 * async function deployApp(provider: VMProvider, snapshotId: string) {
 *   const instance = await provider.instances.boot(snapshotId, { ttl_seconds: 3600, ttl_action: "stop" });
 *   await provider.files.writeFileAtomic(instance.id, "/app/config.json", "{}", { createDirs: true, mode: "644" });
 *   await provider.processes.start(instance.id, "node", { name: "app", script: "/app/server.js", env: { PORT: "3000" } });
 *   return instance.id;
 * }
 * ```
 */
export interface VMProvider {
  /** Short provider name, e.g. `"docker"`; also used as `VMError.provider`. */
  readonly name: string;
  /** The provider package's version. */
  readonly version: string;
  readonly logger?: Logger;
  /** What this provider really supports. */
  readonly capabilities: ProviderCapabilities;
  readonly instances: VMInstanceService;
  readonly snapshots: VMSnapshotService;
  readonly images: VMImageService;
  readonly files: VMFileService;
  readonly processes: VMProcessService;
}

/**
 * The exec function `@vm/pm2` and the provider kit's exec-based file operations build on.
 *
 * @example
 * ```ts
 * import type { ExecFunction, VMProvider } from "@vm/core";
 * const execOf = (provider: VMProvider): ExecFunction => provider.instances.exec.bind(provider.instances);
 * ```
 */
export type ExecFunction = VMInstanceService["exec"];
