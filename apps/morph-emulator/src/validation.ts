import { z } from "zod";

// Request schemas of the endpoints the emulator serves, derived from Morph's OpenAPI spec
// (components/schemas); `validation.test.ts` checks them against the spec file.

// Not z.record: it drops a "__proto__" key, so metadata holding one would lose it (and a
// filter on it could never match). The parsed JSON object is kept as is: its keys are own.
const metadata = z.custom<Record<string, string>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string"),
  { message: "expected an object of strings" },
);
const ttlAction = z.enum(["stop", "pause"]);

/** `ExecRequest`. */
export const execRequestSchema = z.object({ command: z.array(z.string()) });

/** `BootInstanceRequest` (POST /snapshot/{id}/boot). */
export const bootInstanceRequestSchema = z.object({
  vcpus: z.number().int().nullable().optional(),
  memory: z.number().int().nullable().optional(),
  disk_size: z.number().int().nullable().optional(),
  metadata: metadata.nullable().optional(),
  ttl_seconds: z.number().int().nullable().optional(),
  ttl_action: ttlAction.nullable().optional(),
});

/** `StartInstanceRequest` (POST /instance?snapshot_id=). */
export const startInstanceRequestSchema = z.object({
  metadata: metadata.nullable().optional(),
  ttl_seconds: z.number().int().nullable().optional(),
  ttl_action: ttlAction.nullable().optional(),
});

/** `CreateSnapshotRequest` (POST /snapshot). */
export const createSnapshotRequestSchema = z.object({
  image_id: z.string().nullable().optional(),
  readiness_check: z.object({ type: z.literal("timeout").optional(), timeout: z.number().optional() }).nullable().optional(),
  vcpus: z.number().int().optional(),
  memory: z.number().int().optional(),
  disk_size: z.number().int().optional(),
  digest: z.string().nullable().optional(),
  metadata: metadata.nullable().optional(),
});

/** `SnapshotInstanceRequest`. */
export const snapshotInstanceRequestSchema = z.object({ metadata: metadata.nullable().optional() });

/** `BranchInstanceRequest`. */
export const branchInstanceRequestSchema = z.object({
  snapshot_metadata: metadata.nullable().optional(),
  instance_metadata: z.union([metadata, z.array(metadata)]).nullable().optional(),
});

/** `UpdateTTLRequest`. */
export const updateTtlRequestSchema = z.object({
  ttl_seconds: z.number().int().nullable(),
  ttl_action: ttlAction.nullable().optional(),
});

/** Spec component name -> request schema (for the drift test). */
export const REQUEST_SCHEMAS = {
  ExecRequest: execRequestSchema,
  BootInstanceRequest: bootInstanceRequestSchema,
  StartInstanceRequest: startInstanceRequestSchema,
  CreateSnapshotRequest: createSnapshotRequestSchema,
  SnapshotInstanceRequest: snapshotInstanceRequestSchema,
  BranchInstanceRequest: branchInstanceRequestSchema,
  UpdateTTLRequest: updateTtlRequestSchema,
} as const;

/** One `ValidationError` item of the spec's `HTTPValidationError`. */
export interface ValidationErrorItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** zod issues -> the spec's `HTTPValidationError.detail`, FastAPI style (`loc` starts with "body"/"query"). */
export function toValidationDetail(where: "body" | "query" | "path", issues: readonly z.core.$ZodIssue[]): ValidationErrorItem[] {
  return issues.map((issue) => ({
    loc: [where, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))],
    msg: issue.message,
    type: issue.code === "invalid_type" && issue.input === undefined ? "missing" : issue.code,
  }));
}
