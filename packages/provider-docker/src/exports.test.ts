import { expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import { describeEntryPoints } from "../../../test-setup/entry-points.js";

// Changing what a user can import is a deliberate edit of these lists (and a changeset).
describeEntryPoints(import.meta.dirname, packageJson, {
  // A user's API, under semver (VMError and its guards are @vm/provider-kit's).
  ".": [
    "DEFAULT_BOOT_TIMEOUT_MS", "DEFAULT_MAX_FILE_BYTES", "DEFAULT_MAX_OUTPUT_BYTES",
    "DEFAULT_REQUEST_TIMEOUT_MS", "DOCKER_CAPABILITIES", "DOCKER_LABELS", "DOCKER_PROVIDER_VERSION",
    "MAX_FORK_COUNT", "VMError", "createDockerVMProvider", "hasVMErrorCode", "isVMError",
  ],
  // Test hooks and the tunnel the Morph emulator shares: no semver guarantees.
  "./internal": [
    "ARG_MAX_BYTES", "EXEC_WRAPPER", "WATCHDOG_GRACE_MS", "execWrapperArgv", "openTunnel",
  ],
});

it("re-exports @vm/provider-kit's VMError and guards themselves, so instanceof works across both", async () => {
  const [own, kit] = await Promise.all([import("./index.js"), import("@vm/provider-kit")]);
  for (const name of ["VMError", "isVMError", "hasVMErrorCode"] as const) expect(own[name], name).toBe(kit[name]);
  expect(new own.VMError("NOT_FOUND", "gone")).toBeInstanceOf(kit.VMError);
});
