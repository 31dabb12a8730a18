/**
 * What optional features a provider really has. Callers and the conformance suite ask
 * instead of guessing; a method whose capability is `false` throws `VMError` with code
 * `UNSUPPORTED`.
 *
 * @example
 * ```ts
 * import type { VMProvider } from "@vm/core";
 * async function maybeFork(provider: VMProvider, id: string) {
 *   if (!provider.capabilities.fork) return [];
 *   return provider.instances.fork(id, 2);
 * }
 * ```
 */
export interface ProviderCapabilities {
  /** `instances.fork()` works. */
  readonly fork: boolean;
  /** `boot()` honours `ttl_seconds` / `ttl_action`, even with no client running. */
  readonly ttl: boolean;
  /** `snapshots.create()` and `snapshots.delete()` work. */
  readonly snapshots: boolean;
  /** `snapshots.fromImage()` turns an image into a bootable snapshot. */
  readonly fromImage: boolean;
  /** `images.list()` / `images.get()` work. */
  readonly images: boolean;
  /** `ExecOptions.stdin` is delivered to the command. */
  readonly stdin: boolean;
  /** `ExecOptions.user` runs the command as another user. */
  readonly execUser: boolean;
  /** `instances.execStream()` yields output as it arrives. */
  readonly execStream: boolean;
  /** `instances.stop()` keeps the instance (and its files) so it can be inspected later. */
  readonly stop: boolean;
  /** `instances.pause()` / `resume()` work: processes keep running across a pause. */
  readonly pause: boolean;
  /** `writeFileAtomic` honours `owner` / `group`. */
  readonly fileOwnership: boolean;
  /** `processes` (PM2) works in booted instances. */
  readonly processes: boolean;
  /**
   * `fromImage()` and `boot()` honour `resources`: the memory and vCPU limits are in force in
   * the instance (disk: see the provider), and `get()`/`list()` report them.
   */
  readonly resources: boolean;
  /** `instances.expose()` / `unexpose()` work: HTTP and WebSocket reach a port in the instance. */
  readonly expose: boolean;
  /** `ExecOptions.stdin` may be an `AsyncIterable`, fed to the command as it yields. */
  readonly stdinStream: boolean;
  /** `boot()` honours `ttl_action: "pause"`, even with no client running. */
  readonly ttlPause: boolean;
}
