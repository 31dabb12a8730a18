import { bootInstanceFromImageRequestSchema, bootInstanceRequestSchema, branchInstanceRequestSchema, snapshotInstanceRequestSchema, startInstanceRequestSchema } from "@vm/provider-morph/internal";
import { readJson } from "../http/body.js";
import { HttpFailure, invalid, notFound, parse } from "../http/failure.js";
import { DEFAULT_SPEC } from "../models.js";
import { specWith } from "../state/spec.js";
import { matches, metadataFilter, queryInt } from "../http/query.js";
import type { RouteDeps } from "./deps.js";

/** Instance life cycle: boot, start, list, get, delete, snapshot, branch (pause and the like: `instance-power.ts`). */
export function addInstanceRoutes({ router, store, backend, images }: RouteDeps): void {
  router.add("POST", "/snapshot/{snapshot_id}/boot", async ({ params, req }) => {
    const body = parse(bootInstanceRequestSchema, await readJson(req), "body");
    const snapshot = store.snapshotOf(params[0]!);
    // The boot's size fields override the snapshot's.
    const spec = specWith(snapshot.model.spec, body);
    const record = store.bootFrom(snapshot, body.metadata ?? {}, body.ttl_seconds ?? null, body.ttl_action ?? "stop", spec);
    return { status: 200, json: record.model };
  });

  router.add("POST", "/image/{image_id}/boot", async ({ params, req }) => {
    const body = parse(bootInstanceFromImageRequestSchema, (await readJson(req)) ?? {}, "body");
    const image = images.configured.find((i) => i.id === params[0]);
    if (!image) throw notFound(`Image ${params[0]!}`);
    // No disk size: the image's (the emulator's images have Morph's default, 700 MB).
    const spec = specWith(DEFAULT_SPEC, body);
    // Booting from an image goes through a snapshot of it, as the instance's refs name one;
    // it is the emulator's own (removed at shutdown) and carries no user metadata.
    const snapshot = store.newSnapshot(image.id, spec, null, {}, true);
    store.settle(snapshot, async () => (await backend.snapshots.fromImage(image.reference, { metadata: { "morph-emulator-id": snapshot.model.id } })).id);
    const record = store.bootFrom(snapshot, body.metadata ?? {}, body.ttl_seconds ?? null, body.ttl_action ?? "stop", spec);
    return { status: 200, json: record.model };
  });

  router.add("GET", "/instance", ({ query }) => {
    const filter = metadataFilter(query);
    return { status: 200, json: { object: "list", data: [...store.instances.values()].map((i) => i.model).filter((m) => matches(m.metadata, filter)) } };
  });

  router.add("POST", "/instance", async ({ query, req }) => {
    const snapshotId = query.get("snapshot_id");
    if (snapshotId === null) throw invalid([{ loc: ["query", "snapshot_id"], msg: "Field required", type: "missing" }]);
    const raw = await readJson(req);
    const body = raw === undefined || raw === null ? {} : parse(startInstanceRequestSchema, raw, "body");
    const record = store.bootFrom(store.snapshotOf(snapshotId), body.metadata ?? {}, body.ttl_seconds ?? null, body.ttl_action ?? "stop");
    return { status: 200, json: record.model };
  });

  router.add("GET", "/instance/{instance_id}", ({ params }) => ({ status: 200, json: store.instanceOf(params[0]!).model }));

  router.add("DELETE", "/instance/{instance_id}", async ({ params }) => {
    await store.deleteInstance(params[0]!);
    return { status: 204 };
  });

  router.add("POST", "/instance/{instance_id}/snapshot", async ({ params, query, req }) => {
    const raw = await readJson(req);
    const body = raw === undefined || raw === null ? {} : parse(snapshotInstanceRequestSchema, raw, "body");
    store.instanceOf(params[0]!);
    const snapshot = await store.snapshotInstance(params[0]!, query.get("digest"), body.metadata ?? {});
    return { status: 200, json: snapshot.model };
  });

  router.add("POST", "/instance/{instance_id}/branch", async ({ params, query, req }) => {
    // The spec gives `count` no minimum: 0 (or less) is valid and branches no instance, as a
    // server looping `range(count)` would; only the snapshot is made.
    const count = Math.max(0, queryInt(query, "count", 1));
    const raw = await readJson(req);
    const body = raw === undefined || raw === null ? {} : parse(branchInstanceRequestSchema, raw, "body");
    store.instanceOf(params[0]!);
    const snapshot = await store.snapshotInstance(params[0]!, query.get("digest"), body.snapshot_metadata ?? {});
    await snapshot.ready;
    if (snapshot.model.status !== "ready") throw new HttpFailure(500, { detail: "branch snapshot failed" });
    const meta = body.instance_metadata;
    const created = Array.from({ length: count }, (_, i) => {
      const metadata = Array.isArray(meta) ? (meta[i] ?? {}) : (meta ?? {});
      return store.bootFrom(snapshot, { ...metadata }, null, "stop").model;
    });
    return { status: 200, json: { snapshot: snapshot.model, instances: created } };
  });
}
