import packageJson from "../package.json" with { type: "json" };
import { describeEntryPoints } from "../../../test-setup/entry-points.js";

// Changing what a user can import is a deliberate edit of these lists (and a changeset).
describeEntryPoints(import.meta.dirname, packageJson, {
  // A user's (or a provider's) API, under semver.
  ".": [
    "DEFAULT_INSTALL_TIMEOUT_MS", "DEFAULT_MAX_LOG_BYTES", "DEFAULT_NODE_VERSION", "DEFAULT_PM2_HOME",
    "DEFAULT_PM2_VERSION", "DEFAULT_UPLOAD_CONCURRENCY", "MAX_LOG_BYTES_LIMIT", "MAX_LOG_LINES", "MAX_STREAMED_LINE_CHARS", "PM2_RESERVED_NAMES", "UPLOAD_PART_BYTES",
    "createPM2ProcessService", "createProcess", "installPM2", "pm2Save",
  ],
  // The providers' boot snippet: no semver guarantees.
  "./internal": ["PM2_RESURRECT_SCRIPT"],
});
