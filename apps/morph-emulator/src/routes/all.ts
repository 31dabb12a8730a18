import type { RouteDeps } from "./deps.js";
import { addExecRoutes } from "./exec.js";
import { addHttpServiceRoutes } from "./http-services.js";
import { addImageRoutes } from "./images.js";
import { addInstancePowerRoutes } from "./instance-power.js";
import { addInstanceSettingsRoutes } from "./instance-settings.js";
import { addInstanceRoutes } from "./instances.js";
import { addSnapshotRoutes } from "./snapshots.js";

/** Adds every route the emulator serves under /api to `deps.router`. */
export function addAllRoutes(deps: RouteDeps): void {
  addImageRoutes(deps);
  addSnapshotRoutes(deps);
  addInstanceRoutes(deps);
  addExecRoutes(deps);
  addInstancePowerRoutes(deps);
  addInstanceSettingsRoutes(deps);
  addHttpServiceRoutes(deps);
}
