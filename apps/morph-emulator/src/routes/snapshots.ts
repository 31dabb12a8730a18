import { createSnapshotRequestSchema } from "@vm/provider-morph/internal";
import { readRequiredJson } from "../http/body.js";
import { HttpFailure, fromBackend, notFound, parse } from "../http/failure.js";
import { matches, metadataFilter } from "../http/query.js";
import { DEFAULT_SPEC } from "../models.js";
import { specWith } from "../state/spec.js";
import type { RouteDeps } from "./deps.js";

/** `/snapshot` and `/snapshot/{snapshot_id}` (list, create, get, delete). */
export function addSnapshotRoutes({ router, store, backend, images }: RouteDeps): void {
  router.add("GET", "/snapshot", ({ query }) => {
    const filter = metadataFilter(query);
    const digest = query.get("digest");
    const data = [...store.snapshots.values()]
      .map((s) => s.model)
      .filter((m) => m.status !== "deleted" && matches(m.metadata, filter) && (digest === null || m.digest === digest));
    return { status: 200, json: { object: "list", data } };
  });

  router.add("POST", "/snapshot", async ({ req }) => {
    const body = parse(createSnapshotRequestSchema, await readRequiredJson(req), "body");
    const existing = store.byDigest(body.digest);
    if (existing) return { status: 200, json: existing.model };
    const imageId = body.image_id ?? "morphvm-minimal";
    const image = images.configured.find((i) => i.id === imageId);
    if (!image) throw notFound(`Image ${imageId}`);
    // Morph's defaults (1 vCPU, 128 MB, 700 MB) when the client omits a field; they are what
    // instances of this snapshot get, enforced by the backend's boot.
    const spec = specWith(DEFAULT_SPEC, body);
    const record = store.newSnapshot(imageId, spec, body.digest ?? null, body.metadata ?? {}, true);
    store.settle(record, async () => (await backend.snapshots.fromImage(image.reference, { metadata: { "morph-emulator-id": record.model.id } })).id);
    return { status: 200, json: record.model };
  });

  router.add("GET", "/snapshot/{snapshot_id}", ({ params }) => ({ status: 200, json: store.snapshotOf(params[0]!).model }));

  router.add("DELETE", "/snapshot/{snapshot_id}", async ({ params }) => {
    const record = store.snapshotOf(params[0]!);
    const users = [...store.instances.values()].filter((i) => i.model.refs.snapshot_id === record.model.id);
    if (users.length > 0) throw new HttpFailure(409, { detail: `Snapshot ${record.model.id} is used by ${users.length} instance(s)` });
    await record.ready.catch(() => undefined);
    await store.removalsSettled();
    record.model.status = "deleting";
    try {
      if (record.backendId) await backend.snapshots.delete(record.backendId);
    } catch (err) {
      record.model.status = "ready";
      throw fromBackend(err);
    }
    store.snapshots.delete(record.model.id);
    return { status: 204 };
  });
}
