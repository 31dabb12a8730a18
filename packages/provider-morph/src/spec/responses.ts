import { z } from "zod";
import {
  zBranchInstanceResponse,
  zExecResponse,
  zHttpValidationError,
  zImageModel,
  zImageModelCollection,
  zInstanceExpireAction,
  zInstanceHttpService,
  zInstanceModel,
  zInstanceModelCollection,
  zInstanceNetworking,
  zInstanceRefs,
  zInstanceStatus,
  zInstanceTtl,
  zInstanceWakeOn,
  zResourceSpec,
  zSnapshotModel,
  zSnapshotModelCollection,
  zSnapshotRefs,
  zSnapshotStatus,
  zValidationError,
} from "./generated/zod.gen.js";
import { metadataSchema } from "./metadata.js";

// Response schemas for every endpoint this provider calls: the schemas generated from Morph's
// OpenAPI spec (`./generated`, see scripts/gen-morph-spec.mjs), with one refinement: metadata
// keeps a "__proto__" key (see `metadataSchema`). Server answers are untrusted, so every one is
// parsed with these. Unknown extra keys are tolerated (z.object strips them): the API may grow.

/** `ResourceSpec`. */
export const resourceSpecSchema = zResourceSpec;
/** `InstanceStatus`. */
export const instanceStatusSchema = zInstanceStatus;
/** `SnapshotStatus`. */
export const snapshotStatusSchema = zSnapshotStatus;
/** `InstanceExpireAction`. */
export const expireActionSchema = zInstanceExpireAction;
/** `InstanceTTL`. */
export const instanceTtlSchema = zInstanceTtl;
/** `InstanceWakeOn`. */
export const instanceWakeOnSchema = zInstanceWakeOn;
/** `InstanceHttpService`. */
export const instanceHttpServiceSchema = zInstanceHttpService;
/** `InstanceNetworking`. */
export const instanceNetworkingSchema = zInstanceNetworking;
/** `InstanceRefs`. */
export const instanceRefsSchema = zInstanceRefs;
/** `InstanceModel`. */
export const instanceModelSchema = zInstanceModel.extend({ metadata: metadataSchema.optional() });
/** `InstanceModelCollection`. */
export const instanceModelCollectionSchema = zInstanceModelCollection.extend({ data: z.array(instanceModelSchema) });
/** `SnapshotRefs`. */
export const snapshotRefsSchema = zSnapshotRefs;
/** `SnapshotModel`. */
export const snapshotModelSchema = zSnapshotModel.extend({ metadata: metadataSchema.optional() });
/** `SnapshotModelCollection`. */
export const snapshotModelCollectionSchema = zSnapshotModelCollection.extend({ data: z.array(snapshotModelSchema) });
/** `ImageModel`. */
export const imageModelSchema = zImageModel;
/** `ImageModelCollection`. */
export const imageModelCollectionSchema = zImageModelCollection;
/** `ExecResponse`. */
export const execResponseSchema = zExecResponse;
/** `BranchInstanceResponse`. */
export const branchInstanceResponseSchema = zBranchInstanceResponse.extend({ snapshot: snapshotModelSchema, instances: z.array(instanceModelSchema) });
/** `ValidationError`. */
export const validationErrorSchema = zValidationError;
/** `HTTPValidationError`. */
export const httpValidationErrorSchema = zHttpValidationError;

/**
 * One event of `POST /instance/{id}/exec/sse`. The spec gives it only as an example
 * (`{"type":"stdout","content":"hello"}` ... `{"type":"exit_code","content":0}`), not as a
 * component, so it is not generated.
 */
export const execSseEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("stdout"), content: z.string() }),
  z.object({ type: z.literal("stderr"), content: z.string() }),
  z.object({ type: z.literal("exit_code"), content: z.number().int() }),
]);

/** Spec component name -> the zod schema used for it (used by the spec drift test). */
export const SPEC_SCHEMAS = {
  ResourceSpec: resourceSpecSchema,
  InstanceTTL: instanceTtlSchema,
  InstanceWakeOn: instanceWakeOnSchema,
  InstanceHttpService: instanceHttpServiceSchema,
  InstanceNetworking: instanceNetworkingSchema,
  InstanceRefs: instanceRefsSchema,
  InstanceModel: instanceModelSchema,
  InstanceModelCollection: instanceModelCollectionSchema,
  SnapshotRefs: snapshotRefsSchema,
  SnapshotModel: snapshotModelSchema,
  SnapshotModelCollection: snapshotModelCollectionSchema,
  ImageModel: imageModelSchema,
  ImageModelCollection: imageModelCollectionSchema,
  ExecResponse: execResponseSchema,
  BranchInstanceResponse: branchInstanceResponseSchema,
  ValidationError: validationErrorSchema,
  HTTPValidationError: httpValidationErrorSchema,
} as const;

/** Spec enum component name -> zod enum. */
export const SPEC_ENUMS = {
  InstanceStatus: instanceStatusSchema,
  SnapshotStatus: snapshotStatusSchema,
  InstanceExpireAction: expireActionSchema,
} as const;

export type InstanceModel = z.infer<typeof instanceModelSchema>;
export type SnapshotModel = z.infer<typeof snapshotModelSchema>;
export type ImageModel = z.infer<typeof imageModelSchema>;
export type ExecResponse = z.infer<typeof execResponseSchema>;
export type BranchInstanceResponse = z.infer<typeof branchInstanceResponseSchema>;
export type ValidationErrorItem = z.infer<typeof validationErrorSchema>;
