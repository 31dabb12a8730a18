import packageJson from "../package.json" with { type: "json" };
import { describeEntryPoints } from "../../../test-setup/entry-points.js";

// Changing what a user can import is a deliberate edit of these lists (and a changeset).
describeEntryPoints(import.meta.dirname, packageJson, {
  // A provider author's API, under semver.
  ".": [
    "MARKER_KEYS", "VM_ASSUMPTIONS", "createConformanceReporter", "describeProviderConformance",
    "runConformance",
  ],
  // The reporter alone, loading no test code.
  "./reporter": ["createConformanceReporter"],
  // The testcontainers helpers (testcontainers is an optional peer).
  "./containers": ["ensureImage", "findContainerEngine", "startService", "waitForUrl"],
});
