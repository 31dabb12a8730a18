import { z } from "zod";

// Response schemas for every endpoint this provider calls, derived from Morph's OpenAPI
// spec (components/schemas). `src/api-client/schemas.test.ts` checks property names,
// required keys and enums against the spec file itself, so a drift fails the build.
// Unknown extra keys are tolerated (z.object strips them): the API may grow.

// Not z.record: it drops a "__proto__" key, so metadata holding one would lose it (and a
// filter on it could never match). The parsed JSON object is kept as is: its keys are own.
const metadata = z.custom<Record<string, string>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string"),
  { message: "expected an object of strings" },
);
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();

/** `ResourceSpec`. */
export const resourceSpecSchema = z.object({
  vcpus: z.number().int(),
  memory: z.number().int(),
  disk_size: z.number().int(),
});

/** `InstanceStatus`. */
export const instanceStatusSchema = z.enum(["pending", "ready", "paused", "saving", "error"]);

/** `SnapshotStatus`. */
export const snapshotStatusSchema = z.enum(["pending", "ready", "failed", "deleting", "deleted"]);

/** `InstanceExpireAction`. */
export const expireActionSchema = z.enum(["stop", "pause"]);

/** `InstanceTTL`. */
export const instanceTtlSchema = z.object({
  ttl_seconds: nullable(z.number().int()),
  ttl_expire_at: nullable(z.number().int()).optional(),
  ttl_action: expireActionSchema,
});

/** `InstanceWakeOn`. */
export const instanceWakeOnSchema = z.object({
  wake_on_ssh: z.boolean().optional(),
  wake_on_http: z.boolean().optional(),
});

/** `InstanceHttpService`. */
export const instanceHttpServiceSchema = z.object({
  name: z.string(),
  port: z.number().int(),
  url: z.string(),
  auth_mode: z.enum(["none", "api_key"]).optional(),
});

/** `InstanceNetworking`. */
export const instanceNetworkingSchema = z.object({
  internal_ip: nullable(z.string()).optional(),
  http_services: z.array(instanceHttpServiceSchema).optional(),
});

/** `InstanceRefs`. */
export const instanceRefsSchema = z.object({ snapshot_id: z.string(), image_id: z.string() });

/** `InstanceModel`. */
export const instanceModelSchema = z.object({
  id: z.string(),
  object: z.literal("instance").optional(),
  created: z.number().int(),
  status: instanceStatusSchema.optional(),
  spec: resourceSpecSchema,
  refs: instanceRefsSchema,
  networking: instanceNetworkingSchema,
  metadata: metadata.optional(),
  ttl: instanceTtlSchema,
  wake_on: instanceWakeOnSchema,
});

/** `InstanceModelCollection`. */
export const instanceModelCollectionSchema = z.object({
  object: z.literal("list").optional(),
  data: z.array(instanceModelSchema),
});

/** `SnapshotRefs`. */
export const snapshotRefsSchema = z.object({ image_id: z.string() });

/** `SnapshotModel`. */
export const snapshotModelSchema = z.object({
  id: z.string(),
  object: z.literal("snapshot").optional(),
  created: z.number().int(),
  status: snapshotStatusSchema,
  spec: resourceSpecSchema,
  refs: snapshotRefsSchema,
  digest: nullable(z.string()).optional(),
  metadata: metadata.optional(),
});

/** `SnapshotModelCollection`. */
export const snapshotModelCollectionSchema = z.object({
  object: z.literal("list").optional(),
  data: z.array(snapshotModelSchema),
});

/** `ImageModel`. */
export const imageModelSchema = z.object({
  id: z.string(),
  object: z.literal("image").optional(),
  created: z.number().int(),
  name: z.string(),
  description: nullable(z.string()).optional(),
  disk_size: z.number().int(),
});

/** `ImageModelCollection`. */
export const imageModelCollectionSchema = z.object({
  object: z.literal("list").optional(),
  data: z.array(imageModelSchema),
});

/** `ExecResponse`. */
export const execResponseSchema = z.object({
  stdout: z.string(),
  stderr: z.string(),
  exit_code: z.number().int(),
});

/** `BranchInstanceResponse`. */
export const branchInstanceResponseSchema = z.object({
  snapshot: snapshotModelSchema,
  instances: z.array(instanceModelSchema),
});

/** `ValidationError`. */
export const validationErrorSchema = z.object({
  loc: z.array(z.union([z.string(), z.number().int()])),
  msg: z.string(),
  type: z.string(),
});

/** `HTTPValidationError`. */
export const httpValidationErrorSchema = z.object({
  detail: z.array(validationErrorSchema).optional(),
});

/**
 * One event of `POST /instance/{id}/exec/sse` (the spec's example:
 * `{"type":"stdout","content":"hello"}` ... `{"type":"exit_code","content":0}`).
 */
export const execSseEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("stdout"), content: z.string() }),
  z.object({ type: z.literal("stderr"), content: z.string() }),
  z.object({ type: z.literal("exit_code"), content: z.number().int() }),
]);

/** Spec component name -> the zod schema derived from it (used by the spec drift test). */
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
