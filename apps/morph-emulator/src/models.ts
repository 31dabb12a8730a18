import { randomBytes } from "node:crypto";
import type { ImageModel, InstanceModel, ResourceSpec, SnapshotModel } from "@vm/provider-morph/internal";

// The answer shapes are the spec's own (generated from Morph's OpenAPI spec in
// @vm/provider-morph); the emulator always fills the fields the spec leaves optional.
export type { ImageModel, InstanceModel, ResourceSpec, SnapshotModel };
export type ExpireAction = InstanceModel["ttl"]["ttl_action"];

/** Morph-style ids: `morphvm_xxxxxxxx`, `snapshot_xxxxxxxx`. */
export function newId(prefix: "morphvm" | "snapshot"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export const DEFAULT_SPEC: ResourceSpec = { vcpus: 1, memory: 128, disk_size: 700 };
