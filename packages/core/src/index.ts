// Types only: this package ships no runtime code (a test checks the built JavaScript).
export type { ProviderCapabilities } from "./capabilities.js";
export type { VMErrorCode, VMErrorShape } from "./errors.js";
export type { AtomicWriteOptions, CreateDirectoryOptions, FileContent, FileInfo, FileOperationOptions, VMFileService } from "./files.js";
export type { ExposeAuth, ExposedService, ExposeOptions } from "./expose.js";
export type { VMImage, VMImageService } from "./images.js";
export type {
  BootedInstance,
  BootOptions,
  ExecOptions,
  ExecResult,
  ExecStreamChunk,
  InstanceFilters,
  InstanceStatus,
  TtlAction,
  VMInstance,
  VMInstanceService,
} from "./instances.js";
export type { Logger } from "./logger.js";
export type {
  ProcessBuilder,
  ProcessConfig,
  ProcessInfo,
  ProcessLogLine,
  ProcessLogs,
  ProcessStartOptions,
  ProcessStatus,
  StreamLogsOptions,
  VMProcessService,
} from "./processes.js";
export type { ExecFunction, VMProvider } from "./provider.js";
export type { VMResources, VMResourcesInForce } from "./resources.js";
export type { CreateSnapshotOptions, FromImageOptions, SnapshotFilters, SnapshotStatus, VMSnapshot, VMSnapshotService } from "./snapshots.js";
