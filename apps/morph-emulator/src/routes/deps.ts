import type { VMProvider } from "@vm/core";
import type { Router } from "../http/router.js";
import type { ImageModel } from "../models.js";
import type { ServiceConnections } from "../services/http-proxy.js";
import type { Store } from "../state/store.js";
import type { EmulatorImage, RecordedExchange } from "../types.js";
import type { ExecMode } from "./exec-command.js";

/** What the route modules share. */
export interface RouteDeps {
  router: Router;
  store: Store;
  backend: VMProvider;
  /** The images offered, as configured and as answered. */
  images: { configured: readonly EmulatorImage[]; models: readonly ImageModel[] };
  log: (line: string) => void;
  /** How exec's `command` runs. */
  execMode: ExecMode;
  onExchange?: (exchange: RecordedExchange) => void;
  /** The open connections of exposed services (unexposing one ends them). */
  connections: ServiceConnections;
  /** The emulator's own `http://host:port` (exposed services are served below it). */
  baseUrl: () => string;
}
