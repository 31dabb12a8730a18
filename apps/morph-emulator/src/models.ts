import { randomBytes } from "node:crypto";

// Answer shapes exactly as in Morph's OpenAPI spec (InstanceModel, SnapshotModel, ImageModel).

export type InstanceStatus = "pending" | "ready" | "paused" | "saving" | "error";
export type SnapshotStatus = "pending" | "ready" | "failed" | "deleting" | "deleted";
export type ExpireAction = "stop" | "pause";

export interface ResourceSpec {
  vcpus: number;
  memory: number;
  disk_size: number;
}

export interface InstanceModel {
  id: string;
  object: "instance";
  created: number;
  status: InstanceStatus;
  spec: ResourceSpec;
  refs: { snapshot_id: string; image_id: string };
  networking: { internal_ip: string | null; http_services: [] };
  metadata: Record<string, string>;
  ttl: { ttl_seconds: number | null; ttl_expire_at: number | null; ttl_action: ExpireAction };
  wake_on: { wake_on_ssh: boolean; wake_on_http: boolean };
}

export interface SnapshotModel {
  id: string;
  object: "snapshot";
  created: number;
  status: SnapshotStatus;
  spec: ResourceSpec;
  refs: { image_id: string };
  digest: string | null;
  metadata: Record<string, string>;
}

export interface ImageModel {
  id: string;
  object: "image";
  created: number;
  name: string;
  description: string | null;
  disk_size: number;
}

/** Morph-style ids: `morphvm_xxxxxxxx`, `snapshot_xxxxxxxx`. */
export function newId(prefix: "morphvm" | "snapshot"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export const DEFAULT_SPEC: ResourceSpec = { vcpus: 1, memory: 128, disk_size: 700 };
