// "@vm/provider-morph/internal": what this repository's tests and tools use beyond the user's
// API. No semver guarantees: any release may change or remove them.
export { createMorphClient } from "./api-client/base-client.js";
export type { MorphClient, MorphClientOptions } from "./api-client/base-client.js";
export { MORPH_ENDPOINTS } from "./api-client/endpoints.js";
export { BRANCH_KEY } from "./api-client/mappers.js";
export { instanceModelSchema } from "./api-client/schemas.js";
export { buildExecCommand } from "./exec/wrapper-script.js";
