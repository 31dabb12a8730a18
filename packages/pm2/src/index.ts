// What a user (or a provider wiring up `processes`) calls. The boot-time resurrect script is in
// "./internal" (internal.ts), with no semver guarantees.
export { createProcess } from "./builder.js";
export { DEFAULT_PM2_HOME } from "./constants.js";
export { PM2_RESERVED_NAMES } from "./names.js";
export { pm2Save } from "./save.js";
export { DEFAULT_MAX_LOG_BYTES, MAX_LOG_BYTES_LIMIT, MAX_LOG_LINES, createPM2ProcessService } from "./service.js";
export type { PM2Home, PM2ProcessServiceOptions } from "./service.js";
export { MAX_STREAMED_LINE_CHARS } from "./stream-logs.js";
export type { ExecStreamFunction } from "./stream-logs.js";
export { DEFAULT_INSTALL_TIMEOUT_MS, DEFAULT_NODE_VERSION, DEFAULT_PM2_VERSION, DEFAULT_UPLOAD_CONCURRENCY, UPLOAD_PART_BYTES, installPM2 } from "./install.js";
export type { InstallPM2Options, InstallPM2Result, InstallTarget } from "./install.js";
