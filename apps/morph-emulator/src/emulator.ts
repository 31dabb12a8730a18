import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { createFaultQueue } from "./faults.js";
import { createRouter, type LoggedRequest } from "./http/router.js";
import { createEmulatorServer } from "./http/server.js";
import { DEFAULT_SPEC, nowSeconds, type ImageModel } from "./models.js";
import { addAllRoutes } from "./routes/all.js";
import type { RouteDeps } from "./routes/deps.js";
import { ServiceConnections, serveHttpService, upgradeHttpService } from "./services/http-proxy.js";
import { dockerContainerEngine } from "./engine/container-engine.js";
import { createStore } from "./state/store.js";
import type { MorphEmulator, MorphEmulatorOptions } from "./types.js";

export type { EmulatorImage, MorphEmulator, MorphEmulatorOptions, RecordedExchange } from "./types.js";
export type { ExecMode } from "./routes/exec-command.js";

/**
 * A local emulator of Morph's REST API whose instances are real machines of `backend`.
 *
 * @example
 * ```ts
 * import { createMorphEmulator } from "@vm/morph-emulator";
 * import { createDockerVMProvider } from "@vm/provider-docker";
 * const emulator = createMorphEmulator({
 *   apiKey: "dev-key",
 *   backend: createDockerVMProvider({ labels: { "dev.vm.morph-emulator": "example" } }),
 *   images: [{ id: "morphvm-minimal", name: "morphvm-minimal", reference: "vm-base:dev" }],
 *   port: 3737,
 * });
 * await emulator.listen();
 * ```
 */
export function createMorphEmulator(options: MorphEmulatorOptions): MorphEmulator {
  const { backend } = options;
  const log = options.log ?? (() => undefined);
  const faults = createFaultQueue();
  const engine = options.engine ?? dockerContainerEngine();
  const store = createStore(backend, engine, log);
  const router = createRouter();
  const requestLog: LoggedRequest[] = [];
  const startedAt = nowSeconds();
  let address = "";
  const models: ImageModel[] = options.images.map((image) => ({
    id: image.id,
    object: "image",
    created: startedAt,
    name: image.name,
    description: image.description ?? null,
    disk_size: DEFAULT_SPEC.disk_size * 1024 * 1024,
  }));
  const connections = new ServiceConnections();
  const deps: RouteDeps = { router, store, backend, connections, images: { configured: options.images, models }, log, execMode: options.execMode ?? "ssh", baseUrl: () => address, ...(options.onExchange ? { onExchange: options.onExchange } : {}) };
  addAllRoutes(deps);
  const services = (req: IncomingMessage, res: ServerResponse, url: URL, authorized: boolean) => serveHttpService(req, res, url, authorized, store, engine, connections);
  const upgrades = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, authorized: boolean) => upgradeHttpService(req, socket, head, url, authorized, store, engine, connections);
  const server = createEmulatorServer({ apiKey: options.apiKey, router, faults, requestLog, log, services, upgrades, ...(options.onExchange ? { onExchange: options.onExchange } : {}) });

  let closing = false;
  return {
    server,
    faults,
    get url() {
      return address;
    },
    get apiUrl() {
      return `${address}/api`;
    },
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      const info = server.address() as AddressInfo;
      address = `http://${options.host ?? "127.0.0.1"}:${info.port}`;
    },
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await store.clear();
      await closed;
    },
  };
}
