import { randomUUID } from "node:crypto";
import type { CreateSnapshotOptions, FromImageOptions, SnapshotFilters, VMSnapshot, VMSnapshotService } from "@vm/core";
import { VMError, assertId, canSnapshotReach, matchesSnapshotFilters, readCreateSnapshotOptions, readFromImageOptions, readSnapshotFilters, resolveResources } from "@vm/provider-kit";
import { metadataQuery, pathOf, type MorphClient } from "../api-client/base-client.js";
import { REQUEST_MARKER_KEY, snapshotStatusOf, toVMSnapshot } from "../api-client/mappers.js";
import type { CreateSnapshotRequest } from "../spec/generated/types.gen.js";
import { snapshotModelCollectionSchema, snapshotModelSchema, type SnapshotModel } from "../spec/responses.js";

const PROVIDER = "morph";

/** Options of the snapshot service. */
export interface MorphSnapshotServiceOptions {
  client: MorphClient;
  /** How long to wait for a new snapshot to become `ready` (ms). */
  readyTimeoutMs: number;
  /** Called before an instance snapshot so PM2's process list is saved in it. @default none */
  beforeSnapshot?: (instanceId: string) => Promise<void>;
}

function ctx(operation: string) {
  return { provider: PROVIDER, operation };
}

/**
 * `VMSnapshotService` over Morph's snapshot endpoints (see the README's mapping table).
 */
export function createMorphSnapshotService(options: MorphSnapshotServiceOptions): VMSnapshotService {
  const { client } = options;

  async function listModels(filters: SnapshotFilters, operation: string): Promise<SnapshotModel[]> {
    const params = metadataQuery(filters.metadata);
    if (filters.digest !== undefined) params.set("digest", filters.digest);
    const answer = await client.request({
      method: "GET",
      path: "snapshot",
      operation,
      searchParams: params,
      schema: snapshotModelCollectionSchema,
      idempotent: true,
    });
    // Every filter sent is re-checked on the raw model (hidden keys included, so the
    // request-marker recovery is covered too): a server may ignore a key it does not
    // understand and answer with everything, and a caller may delete whatever a filter returns.
    return answer.data.filter(
      (s) => s.status !== "deleted" && matchesSnapshotFilters({ ...(s.metadata ? { metadata: s.metadata } : {}), ...(s.digest ? { digest: s.digest } : {}) }, filters),
    );
  }

  async function getModel(snapshotId: string, operation: string): Promise<SnapshotModel> {
    return client.request({ method: "GET", path: pathOf("snapshot", snapshotId), operation, schema: snapshotModelSchema, idempotent: true });
  }

  async function waitReady(model: SnapshotModel, operation: string, deadline: number): Promise<VMSnapshot> {
    let current = model;
    let delay = 100;
    while (current.status !== "ready") {
      // Failed, or deleted while it was made: it will not become ready by waiting.
      const status = snapshotStatusOf(current.status);
      if (!canSnapshotReach(status, "ready")) throw new VMError("UNAVAILABLE", `snapshot ${current.id} failed (it is ${status})`, ctx(operation));
      if (Date.now() >= deadline) throw new VMError("TIMEOUT", `snapshot ${current.id} was not ready in time`, ctx(operation));
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 1_000);
      current = await getModel(current.id, operation);
    }
    return toVMSnapshot(current);
  }

  return {
    async get(snapshotId: string): Promise<VMSnapshot> {
      assertId(snapshotId, ctx("snapshots.get"), "snapshotId");
      const model = await getModel(snapshotId, "snapshots.get");
      if (model.status === "deleted") throw new VMError("NOT_FOUND", `snapshot ${snapshotId} was deleted`, ctx("snapshots.get"));
      return toVMSnapshot(model);
    },

    async list(given?: SnapshotFilters): Promise<VMSnapshot[]> {
      const c = ctx("snapshots.list");
      const filters = readSnapshotFilters(given, c);
      return (await listModels(filters, c.operation)).map(toVMSnapshot);
    },

    async create(instanceId: string, given?: CreateSnapshotOptions): Promise<VMSnapshot> {
      const c = ctx("snapshots.create");
      assertId(instanceId, c, "instanceId");
      const create = readCreateSnapshotOptions(given, c);
      await options.beforeSnapshot?.(instanceId);
      const deadline = Date.now() + options.readyTimeoutMs;
      const marker = randomUUID();
      const model = await client.create({
        method: "POST",
        path: pathOf("instance", instanceId, "snapshot"),
        operation: c.operation,
        ...(create.digest === undefined ? {} : { searchParams: new URLSearchParams({ digest: create.digest }) }),
        json: { metadata: { ...(create.metadata ?? {}), [REQUEST_MARKER_KEY]: marker } },
        schema: snapshotModelSchema,
        recover: async () =>
          (await listModels({ metadata: { [REQUEST_MARKER_KEY]: marker } }, c.operation))[0] ??
          (create.digest === undefined ? undefined : (await listModels({ digest: create.digest }, c.operation))[0]),
        recoverUntil: deadline,
      });
      return waitReady(model, c.operation, deadline);
    },

    async delete(snapshotId: string): Promise<void> {
      const c = ctx("snapshots.delete");
      assertId(snapshotId, c, "snapshotId");
      await client.request({ method: "DELETE", path: pathOf("snapshot", snapshotId), operation: c.operation, idempotent: true, goneIsSuccess: true });
    },

    async fromImage(imageId: string, given?: FromImageOptions): Promise<VMSnapshot> {
      const c = ctx("snapshots.fromImage");
      assertId(imageId, c, "imageId");
      const create = readFromImageOptions(given, c);
      // Always sent: Morph's own defaults (1 vCPU, 128 MB, 700 MB) are too small for Node, and
      // the contract's defaults are the kit's on every provider.
      const resources = resolveResources(create.resources);
      const deadline = Date.now() + options.readyTimeoutMs;
      const marker = randomUUID();
      const model = await client.create({
        method: "POST",
        path: "snapshot",
        operation: c.operation,
        json: {
          image_id: imageId,
          vcpus: resources.vcpus,
          memory: resources.memoryMb,
          disk_size: resources.diskMb,
          metadata: { ...(create.metadata ?? {}), [REQUEST_MARKER_KEY]: marker },
          ...(create.digest === undefined ? {} : { digest: create.digest }),
        } satisfies CreateSnapshotRequest,
        schema: snapshotModelSchema,
        recover: async () =>
          (await listModels({ metadata: { [REQUEST_MARKER_KEY]: marker } }, c.operation))[0] ??
          (create.digest === undefined ? undefined : (await listModels({ digest: create.digest }, c.operation))[0]),
        recoverUntil: deadline,
      });
      return waitReady(model, c.operation, deadline);
    },
  };
}
