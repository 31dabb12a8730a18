import { expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import { describeEntryPoints } from "../../../test-setup/entry-points.js";

// Changing what a user can import is a deliberate edit of these lists (and a changeset).
describeEntryPoints(import.meta.dirname, packageJson, {
  // A user's API, under semver (VMError and its guards are @vm/provider-kit's).
  ".": [
    "MAX_RETRY_AFTER_MS", "MORPH_CAPABILITIES", "MORPH_DEFAULT_BASE_URL",
    "MORPH_DEFAULT_BOOT_TIMEOUT_MS", "MORPH_DEFAULT_EXEC_TIMEOUT_MS",
    "MORPH_DEFAULT_MAX_ARG_BYTES", "MORPH_DEFAULT_MAX_EVENT_BYTES", "MORPH_DEFAULT_MAX_REQUEST_BYTES",
    "MORPH_DEFAULT_MAX_RESPONSE_BYTES", "MORPH_DEFAULT_RETRY_ATTEMPTS", "MORPH_DEFAULT_RETRY_BASE_DELAY_MS",
    "MORPH_DEFAULT_RETRY_MAX_DELAY_MS", "MORPH_DEFAULT_SNAPSHOT_TIMEOUT_MS",
    "MORPH_DEFAULT_TIMEOUT_MS", "MORPH_MAX_COMMAND_LINE_BYTES", "MORPH_MAX_REQUEST_BYTES", "MORPH_MAX_RESPONSE_BYTES_LIMIT", "MORPH_PROVIDER_VERSION",
    "VMError", "createMorphVMProvider", "hasVMErrorCode", "isVMError",
  ],
  // The REST client and what tests check against: no semver guarantees.
  "./internal": [
    "BRANCH_KEY", "MORPH_ENDPOINTS", "REQUEST_SCHEMAS", "bootInstanceFromImageRequestSchema", "bootInstanceRequestSchema",
    "branchInstanceRequestSchema", "branchInstanceResponseSchema", "buildExecCommand", "createMorphClient",
    "createSnapshotRequestSchema", "execRequestSchema", "execResponseSchema", "exposeHttpServiceRequestSchema",
    "httpValidationErrorSchema", "instanceModelSchema", "instanceSshKeySchema", "metadataSchema",
    "snapshotInstanceRequestSchema", "snapshotModelSchema", "startInstanceRequestSchema", "toShellLine",
    "updateTtlRequestSchema", "updateWakeRequestSchema",
  ],
});

it("re-exports @vm/provider-kit's VMError and guards themselves, so instanceof works across both", async () => {
  const [own, kit] = await Promise.all([import("./index.js"), import("@vm/provider-kit")]);
  for (const name of ["VMError", "isVMError", "hasVMErrorCode"] as const) expect(own[name], name).toBe(kit[name]);
  expect(new own.VMError("NOT_FOUND", "gone")).toBeInstanceOf(kit.VMError);
});
