// The demo's pieces, for tests and for anyone who wants deployApp in their own script.
export { DEMO_METADATA_KEYS, DEPLOY_STEPS, deployApp } from "./deploy-app.js";
export type { DeployAppOptions, DeployProgress, DeployResult, StepCheck, StepDefinition, StepId, StepResult } from "./deploy-app.js";
export type { ProvisionOptions } from "./deploy/provision.js";
export { demoProvision, pm2DirectoryFor } from "./provisioning.js";
export { USAGE, parseCliArgs } from "./args.js";
export type { CliOptions } from "./args.js";
export { runCli } from "./cli.js";
export type { CliIO } from "./cli.js";
export { explainError } from "./explain.js";
export type { ExplainContext } from "./explain.js";
export { createProgressReporter } from "./progress.js";
export type { ProgressReporter, ProgressReporterOptions } from "./progress.js";
export { DEMO_DOCKER_RUN_LABEL, MORPH_DEFAULT_IMAGE, createProvider, repoRoot, resolveDockerBaseImage } from "./providers.js";
export type { ProviderChoice } from "./providers.js";
export { formatBytes, formatDuration, renderSummary, renderTable } from "./render.js";
export { createResourceTracker } from "./tracker.js";
export type { CleanupEntry, ResourceTracker, ResourceTrackerOptions } from "./tracker.js";
export { PROBE_SOURCE, SERVER_SOURCE } from "./vm-scripts.js";
