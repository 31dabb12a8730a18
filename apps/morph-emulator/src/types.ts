import type { Server } from "node:http";
import type { VMProvider } from "@vm/core";
import type { ContainerEngine } from "./engine/container-engine.js";
import type { FaultQueue } from "./faults.js";
import type { ExecMode } from "./routes/exec-command.js";

/**
 * An image the emulator offers (`GET /image`), backed by a Docker image reference.
 *
 * @example
 * ```ts
 * import type { EmulatorImage } from "@vm/morph-emulator";
 * const image: EmulatorImage = { id: "morphvm-minimal", name: "morphvm-minimal", reference: "vm-base:dev" };
 * ```
 */
export interface EmulatorImage {
  id: string;
  name: string;
  description?: string;
  /** What the backend's `snapshots.fromImage()` gets, e.g. a Docker image reference. */
  reference: string;
}

/**
 * One request/answer pair, as recorded for the faithfulness test.
 *
 * @example
 * ```ts
 * import type { RecordedExchange } from "@vm/morph-emulator";
 * const seen: RecordedExchange[] = [];
 * ```
 */
export interface RecordedExchange {
  method: string;
  /** The spec's path template, e.g. `/instance/{instance_id}`. */
  route: string;
  path: string;
  status: number;
  contentType: string | undefined;
  /** Parsed JSON, the raw SSE text, or undefined for an empty answer. */
  body: unknown;
}

/**
 * Options of `createMorphEmulator()`.
 *
 * @example
 * ```ts
 * import type { MorphEmulatorOptions } from "@vm/morph-emulator";
 * import type { VMProvider } from "@vm/core";
 * declare const backend: VMProvider;
 * const options: MorphEmulatorOptions = { apiKey: "dev-key", backend, images: [{ id: "morphvm-minimal", name: "minimal", reference: "vm-base:dev" }] };
 * ```
 */
export interface MorphEmulatorOptions {
  /** The one Bearer key accepted. */
  apiKey: string;
  /** Where instances really run (the Docker provider). */
  backend: VMProvider;
  images: EmulatorImage[];
  /** @default "127.0.0.1" */
  host?: string;
  /**
   * 0 picks a free port.
   * @default 0
   */
  port?: number;
  /** @default no logging */
  log?: (line: string) => void;
  /**
   * How exec's `command` runs: `"ssh"` joins the elements with spaces and runs the line in the
   * user's login shell, as Morph's exec "via SSH" does; `"argv"` runs a command of two or more
   * elements as an argv (one element is still a shell line).
   * @default "ssh"
   */
  execMode?: ExecMode;
  /**
   * Pauses, resumes and restarts instances' containers on the engine (the `VMProvider` API has
   * no pause): backend instance ids are container ids.
   * @default a dockerode client on `DOCKER_HOST`, the engine `@vm/provider-docker` uses by default
   */
  engine?: ContainerEngine;
  /** Sees every answer under /api (used by the faithfulness test). */
  onExchange?: (exchange: RecordedExchange) => void;
}

/**
 * A running (or ready to run) emulator.
 *
 * @example
 * ```ts
 * import { createMorphEmulator } from "@vm/morph-emulator";
 * import type { VMProvider } from "@vm/core";
 * declare const backend: VMProvider;
 * const emulator = createMorphEmulator({ apiKey: "dev-key", backend, images: [] });
 * await emulator.listen();
 * console.log(emulator.apiUrl);
 * await emulator.close();
 * ```
 */
export interface MorphEmulator {
  readonly server: Server;
  readonly faults: FaultQueue;
  /** `http://host:port` once listening. */
  readonly url: string;
  /** `http://host:port/api`, the base URL clients use. */
  readonly apiUrl: string;
  listen(): Promise<void>;
  /** Stops serving and removes every container and snapshot it made. */
  close(): Promise<void>;
}
