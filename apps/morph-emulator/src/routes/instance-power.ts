import { queryBool } from "../http/query.js";
import type { RouteDeps } from "./deps.js";

/** `pause` (engine pause, keeping processes), `resume` (unpause) and `reboot` (container restart). */
export function addInstancePowerRoutes({ router, store }: RouteDeps): void {
  router.add("POST", "/instance/{instance_id}/pause", async ({ params, query }) => {
    const takeSnapshot = queryBool(query, "snapshot") ?? true;
    const id = params[0]!;
    store.instanceOf(id);
    if (takeSnapshot) {
      // The spec: "Whether to create a snapshot before pausing". The answer is still the
      // InstanceModel; the snapshot is listed by GET /snapshot (metadata `paused_instance_id`).
      const snapshot = await store.snapshotInstance(id, null, { paused_instance_id: id });
      await snapshot.ready;
    }
    return { status: 200, json: await store.pauseInstance(id) };
  });

  router.add("POST", "/instance/{instance_id}/resume", async ({ params }) => ({ status: 200, json: await store.resumeInstance(params[0]!) }));

  router.add("POST", "/instance/{instance_id}/reboot", async ({ params }) => ({ status: 200, json: await store.rebootInstance(params[0]!) }));
}
