import type { VMProvider } from "@vm/core";
import { isVMError } from "@vm/provider-kit";
import type { ContainerEngine } from "../engine/container-engine.js";
import { HttpFailure, notFound } from "../http/failure.js";
import { newId, nowSeconds, type ExpireAction, type InstanceModel, type ResourceSpec, type SnapshotModel } from "../models.js";
import { resourcesOf } from "./spec.js";

export interface InstanceRecord {
  model: InstanceModel;
  backendId?: string;
  ready: Promise<void>;
  ttlTimer?: NodeJS.Timeout;
  /** The key pair `GET /instance/{id}/ssh/key` answers, made on first use. */
  sshKey?: { private_key: string; public_key: string; password: string };
}

export interface SnapshotRecord {
  model: SnapshotModel;
  backendId?: string;
  ready: Promise<void>;
  /** Snapshots made from an image by this emulator are removed at shutdown. */
  owned: boolean;
}

/** The emulator's instances and snapshots, and what they do on the backend. */
export interface Store {
  readonly instances: Map<string, InstanceRecord>;
  readonly snapshots: Map<string, SnapshotRecord>;
  instanceOf(id: string): InstanceRecord;
  snapshotOf(id: string): SnapshotRecord;
  /** The instance once booted; 409 when it is paused or not ready. */
  readyInstance(id: string): Promise<InstanceRecord & { backendId: string }>;
  /** Boots with `spec` (default: the snapshot's), enforced on the backend (memory and CPU limits). */
  bootFrom(snapshot: SnapshotRecord, metadata: Record<string, string>, ttlSeconds: number | null, ttlAction: ExpireAction, spec?: ResourceSpec): InstanceRecord;
  newSnapshot(imageId: string, spec: SnapshotModel["spec"], digest: string | null, metadata: Record<string, string>, owned: boolean): SnapshotRecord;
  /** Makes the snapshot ready (or failed) once `work` gives its backend id. */
  settle(record: SnapshotRecord, work: () => Promise<string>): void;
  byDigest(digest: string | null | undefined): SnapshotRecord | undefined;
  snapshotInstance(instanceId: string, digest: string | null, metadata: Record<string, string>): Promise<SnapshotRecord>;
  deleteInstance(id: string): Promise<void>;
  /** Freezes the container (engine pause): processes and memory are kept. */
  pauseInstance(id: string): Promise<InstanceModel>;
  /** Thaws a paused instance; a ready one is answered as is. */
  resumeInstance(id: string): Promise<InstanceModel>;
  /** Restarts the container (processes end, files stay), then the instance is ready again. */
  rebootInstance(id: string): Promise<InstanceModel>;
  /** Sets the TTL, counted from now (`null` seconds clears it). */
  setTtl(record: InstanceRecord, seconds: number | null, action: ExpireAction): void;
  /** Waits for deletions still removing their container (a snapshot delete needs its image free). */
  removalsSettled(): Promise<void>;
  /** Removes every container and owned snapshot. */
  clear(): Promise<void>;
}

export function createStore(backend: VMProvider, engine: ContainerEngine, log: (line: string) => void): Store {
  const instances = new Map<string, InstanceRecord>();
  const snapshots = new Map<string, SnapshotRecord>();
  // Deletions still removing their container: a snapshot delete waits for them, or the
  // image would still be in use.
  const removals = new Set<Promise<void>>();

  function instanceOf(id: string): InstanceRecord {
    const record = instances.get(id);
    if (!record) throw notFound(`Instance ${id}`);
    return record;
  }

  function snapshotOf(id: string): SnapshotRecord {
    const record = snapshots.get(id);
    if (!record || record.model.status === "deleted") throw notFound(`Snapshot ${id}`);
    return record;
  }

  async function readyInstance(id: string): Promise<InstanceRecord & { backendId: string }> {
    const record = instanceOf(id);
    await record.ready.catch(() => undefined);
    if (record.model.status === "paused") throw new HttpFailure(409, { detail: `Instance ${id} is paused` });
    if (record.model.status !== "ready" && record.model.status !== "saving") throw new HttpFailure(409, { detail: `Instance ${id} is not ready (${record.model.status})` });
    return record as InstanceRecord & { backendId: string };
  }

  function scheduleTtl(record: InstanceRecord): void {
    if (record.ttlTimer) clearTimeout(record.ttlTimer);
    record.ttlTimer = undefined;
    const seconds = record.model.ttl.ttl_seconds;
    if (seconds === null) return;
    record.ttlTimer = setTimeout(() => {
      const action = record.model.ttl.ttl_action;
      log(`ttl expired for ${record.model.id}: ${action}`);
      const work = action === "stop" ? deleteInstance(record.model.id) : pauseInstance(record.model.id);
      work.catch((err: unknown) => log(`ttl ${action} of ${record.model.id} failed: ${String(err)}`));
    }, seconds * 1000);
    record.ttlTimer.unref();
  }

  function bootFrom(snapshot: SnapshotRecord, metadata: Record<string, string>, ttlSeconds: number | null, ttlAction: ExpireAction, spec: ResourceSpec = snapshot.model.spec): InstanceRecord {
    const id = newId("morphvm");
    const created = nowSeconds();
    const record: InstanceRecord = {
      model: {
        id,
        object: "instance",
        created,
        status: "pending",
        spec: { ...spec },
        refs: { snapshot_id: snapshot.model.id, image_id: snapshot.model.refs.image_id },
        networking: { internal_ip: null, http_services: [] },
        metadata,
        ttl: { ttl_seconds: ttlSeconds, ttl_expire_at: ttlSeconds === null ? null : created + ttlSeconds, ttl_action: ttlAction },
        wake_on: { wake_on_ssh: false, wake_on_http: false },
      },
      ready: Promise.resolve(),
    };
    record.ready = (async () => {
      try {
        await snapshot.ready;
        if (!snapshot.backendId) throw new Error("snapshot has no backing image");
        // The size is enforced, so a machine too small fails here as it would on Morph.
        const booted = await backend.instances.boot(snapshot.backendId, { metadata: { "morph-emulator-id": id }, resources: resourcesOf(record.model.spec) });
        record.backendId = booted.id;
        if (!instances.has(id)) {
          // Deleted while booting.
          await backend.instances.terminate(booted.id).catch(() => undefined);
          return;
        }
        record.model.status = "ready";
        record.model.networking.internal_ip = "127.0.0.1";
        // The TTL counts from when the machine is up, so a slow boot does not eat it.
        // (Read from the model: `POST /instance/{id}/ttl` may have changed it during the boot.)
        const seconds = record.model.ttl.ttl_seconds;
        record.model.ttl.ttl_expire_at = seconds === null ? null : nowSeconds() + seconds;
        scheduleTtl(record);
      } catch (err) {
        record.model.status = "error";
        log(`boot of ${id} failed: ${String(err)}`);
      }
    })();
    instances.set(id, record);
    return record;
  }

  function newSnapshot(imageId: string, spec: SnapshotModel["spec"], digest: string | null, metadata: Record<string, string>, owned: boolean): SnapshotRecord {
    const record: SnapshotRecord = {
      model: { id: newId("snapshot"), object: "snapshot", created: nowSeconds(), status: "pending", spec, refs: { image_id: imageId }, digest, metadata },
      ready: Promise.resolve(),
      owned,
    };
    snapshots.set(record.model.id, record);
    return record;
  }

  function settle(record: SnapshotRecord, work: () => Promise<string>): void {
    record.ready = (async () => {
      try {
        record.backendId = await work();
        record.model.status = "ready";
      } catch (err) {
        record.model.status = "failed";
        log(`snapshot ${record.model.id} failed: ${String(err)}`);
      }
    })();
  }

  function byDigest(digest: string | null | undefined): SnapshotRecord | undefined {
    if (!digest) return undefined;
    return [...snapshots.values()].find((s) => s.model.digest === digest && s.model.status !== "deleted" && s.model.status !== "failed");
  }

  async function snapshotInstance(instanceId: string, digest: string | null, metadata: Record<string, string>): Promise<SnapshotRecord> {
    const existing = byDigest(digest);
    if (existing) return existing;
    const instance = await readyInstance(instanceId);
    const snapshot = newSnapshot(instance.model.refs.image_id, { ...instance.model.spec }, digest, metadata, true);
    instance.model.status = "saving";
    settle(snapshot, async () => {
      try {
        return (await backend.snapshots.create(instance.backendId, { metadata: { "morph-emulator-id": snapshot.model.id } })).id;
      } finally {
        if (instance.model.status === "saving") instance.model.status = "ready";
      }
    });
    return snapshot;
  }

  async function deleteInstance(id: string): Promise<void> {
    const record = instanceOf(id);
    instances.delete(id);
    if (record.ttlTimer) clearTimeout(record.ttlTimer);
    const removal = (async () => {
      await record.ready.catch(() => undefined);
      if (record.backendId) {
        await backend.instances.terminate(record.backendId).catch((err: unknown) => {
          if (!(isVMError(err) && err.code === "NOT_FOUND")) throw err;
        });
      }
    })();
    removals.add(removal);
    try {
      await removal;
    } finally {
      removals.delete(removal);
    }
  }

  async function pauseInstance(id: string): Promise<InstanceModel> {
    const record = instanceOf(id);
    await record.ready.catch(() => undefined);
    if (record.model.status === "paused") return record.model;
    if (!record.backendId || record.model.status !== "ready") throw new HttpFailure(409, { detail: `Instance ${id} is not running (${record.model.status})` });
    await engine.pause(record.backendId);
    record.model.status = "paused";
    return record.model;
  }

  async function resumeInstance(id: string): Promise<InstanceModel> {
    const record = instanceOf(id);
    await record.ready.catch(() => undefined);
    if (record.model.status === "ready") return record.model;
    if (record.model.status !== "paused" || !record.backendId) throw new HttpFailure(409, { detail: `Instance ${id} is not paused (${record.model.status})` });
    await engine.unpause(record.backendId);
    record.model.status = "ready";
    return record.model;
  }

  async function rebootInstance(id: string): Promise<InstanceModel> {
    const record = await readyInstance(id);
    if (record.model.status !== "ready") throw new HttpFailure(409, { detail: `Instance ${id} is busy (${record.model.status})` });
    record.model.status = "pending";
    try {
      await engine.restart(record.backendId);
      record.model.status = "ready";
    } catch (err) {
      record.model.status = "error";
      throw err;
    }
    return record.model;
  }

  function setTtl(record: InstanceRecord, seconds: number | null, action: ExpireAction): void {
    record.model.ttl = { ttl_seconds: seconds, ttl_expire_at: seconds === null ? null : nowSeconds() + seconds, ttl_action: action };
    // Before the machine is up, the boot schedules it (the TTL counts from ready).
    if (record.backendId) scheduleTtl(record);
  }

  return {
    instances,
    snapshots,
    instanceOf,
    snapshotOf,
    readyInstance,
    bootFrom,
    newSnapshot,
    settle,
    byDigest,
    snapshotInstance,
    deleteInstance,
    pauseInstance,
    resumeInstance,
    rebootInstance,
    setTtl,
    removalsSettled: async () => {
      await Promise.allSettled([...removals]);
    },
    async clear() {
      const ids = [...instances.keys()];
      await Promise.allSettled(ids.map((id) => deleteInstance(id)));
      for (const record of [...snapshots.values()].reverse()) {
        await record.ready.catch(() => undefined);
        if (record.backendId && record.owned) await backend.snapshots.delete(record.backendId).catch((err: unknown) => log(`cleanup of ${record.model.id} failed: ${String(err)}`));
      }
      snapshots.clear();
    },
  };
}
