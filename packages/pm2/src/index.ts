export { createProcess } from "./builder.js";
export { DEFAULT_PM2_HOME } from "./constants.js";
export { PM2_RESERVED_NAMES } from "./names.js";
export { PM2_RESURRECT_SCRIPT, pm2Save } from "./save.js";
export { createPM2ProcessService } from "./service.js";
export type { PM2ProcessServiceOptions } from "./service.js";
