import packageJson from "../package.json" with { type: "json" };
import { describeEntryPoints } from "../../../test-setup/entry-points.js";

// Changing what a user can import is a deliberate edit of these lists (and a changeset).
describeEntryPoints(import.meta.dirname, packageJson, {
  // A provider author's API, under semver.
  ".": [
    "MARKER_KEYS", "createConformanceReporter", "describeProviderConformance", "ensureImage",
    "findContainerEngine", "runConformance", "startService", "waitForUrl",
  ],
  // The reporter alone, loading no test code.
  "./reporter": ["createConformanceReporter"],
});
