export { createMorphEmulator } from "./emulator.js";
export type { EmulatorImage, ExecMode, MorphEmulator, MorphEmulatorOptions, RecordedExchange } from "./emulator.js";
export { createFaultQueue, faultSchema, faultsBodySchema } from "./faults.js";
export type { Fault, FaultQueue } from "./faults.js";
export { EMULATOR_LABEL, startEmulatorFromEnv } from "./start.js";
export type { StartedEmulator } from "./start.js";
export { REQUEST_SCHEMAS, toValidationDetail } from "./validation.js";
export type { ValidationErrorItem } from "./validation.js";
