import type { Logger } from "@vm/core";
import type { MorphClient } from "../../api-client/base-client.js";

/** What the exec calls need from the instance service. */
export interface ExecDeps {
  client: MorphClient;
  /** HTTP timeout of an exec without `timeoutMs` (ms), `false` for none. */
  execTimeoutMs: number | false;
  /** Largest `exec/sse` event, or run of bytes completing none. */
  maxEventBytes: number;
  logger?: Logger;
}

export const PROVIDER = "morph";

export function ctx(operation: string) {
  return { provider: PROVIDER, operation };
}
