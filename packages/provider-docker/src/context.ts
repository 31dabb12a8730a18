import type { Logger } from "@vm/core";
import type Dockerode from "dockerode";
import type { EngineKind } from "./engine-kind.js";

/** What every service of one provider shares. Internal. */
export interface DockerContext {
  readonly docker: Dockerode;
  readonly provider: string;
  readonly network: string | undefined;
  readonly logger: Logger | undefined;
  readonly maxOutputBytes: number;
  readonly maxFileBytes: number;
  readonly bootTimeoutMs: number;
  readonly extraLabels: Record<string, string>;
  /** Which engine answers (asked once): only for what must differ between engines. */
  readonly engineKind: () => Promise<EngineKind>;
}
