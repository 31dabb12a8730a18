import type { Logger } from "@vm/core";
import type Dockerode from "dockerode";

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
}
