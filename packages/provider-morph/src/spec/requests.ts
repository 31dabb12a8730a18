import { z } from "zod";
import {
  zBootInstanceFromImageRequest,
  zBootInstanceRequest,
  zBranchInstanceRequest,
  zCreateSnapshotRequest,
  zExecRequest,
  zSnapshotInstanceRequest,
  zStartInstanceRequest,
  zUpdateTtlRequest,
} from "./generated/zod.gen.js";
import { metadataSchema } from "./metadata.js";

// Request schemas of the endpoints the emulator serves: the generated ones, with metadata that
// keeps a "__proto__" key (see `metadataSchema`).

/** `ExecRequest`. */
export const execRequestSchema = zExecRequest;
/** `BootInstanceRequest` (POST /snapshot/{id}/boot). */
export const bootInstanceRequestSchema = zBootInstanceRequest.extend({ metadata: metadataSchema.nullish() });
/** `BootInstanceFromImageRequest` (POST /image/{id}/boot). */
export const bootInstanceFromImageRequestSchema = zBootInstanceFromImageRequest.extend({ metadata: metadataSchema.nullish() });
/** `StartInstanceRequest` (POST /instance?snapshot_id=). */
export const startInstanceRequestSchema = zStartInstanceRequest.extend({ metadata: metadataSchema.nullish() });
/** `CreateSnapshotRequest` (POST /snapshot). */
export const createSnapshotRequestSchema = zCreateSnapshotRequest.extend({ metadata: metadataSchema.nullish() });
/** `SnapshotInstanceRequest`. */
export const snapshotInstanceRequestSchema = zSnapshotInstanceRequest.extend({ metadata: metadataSchema.nullish() });
/** `BranchInstanceRequest`. */
export const branchInstanceRequestSchema = zBranchInstanceRequest.extend({
  snapshot_metadata: metadataSchema.nullish(),
  instance_metadata: z.union([metadataSchema, z.array(metadataSchema)]).nullish(),
});
/** `UpdateTTLRequest`. */
export const updateTtlRequestSchema = zUpdateTtlRequest;

/** Spec component name -> request schema. */
export const REQUEST_SCHEMAS = {
  ExecRequest: execRequestSchema,
  BootInstanceRequest: bootInstanceRequestSchema,
  BootInstanceFromImageRequest: bootInstanceFromImageRequestSchema,
  StartInstanceRequest: startInstanceRequestSchema,
  CreateSnapshotRequest: createSnapshotRequestSchema,
  SnapshotInstanceRequest: snapshotInstanceRequestSchema,
  BranchInstanceRequest: branchInstanceRequestSchema,
  UpdateTTLRequest: updateTtlRequestSchema,
} as const;
