import { isVMError } from "@vm/provider-kit";

/**
 * What the explanation may mention about the setup (never the API key).
 *
 * @example
 * ```ts
 * import type { ExplainContext } from "@vm/demo";
 * const ctx: ExplainContext = { provider: "morph", baseUrl: "http://127.0.0.1:8080" };
 * ```
 */
export interface ExplainContext {
  provider: "docker" | "morph";
  baseUrl?: string;
}

/**
 * Turns a failure into one line that says what went wrong and what to do, branching on
 * `err.code`. Unknown errors keep their message (first line only): no stack trace.
 *
 * @example
 * ```ts
 * import { VMError } from "@vm/provider-kit";
 * import { explainError } from "@vm/demo";
 * console.log(explainError(new VMError("UNAUTHENTICATED", "401"), { provider: "morph" }));
 * ```
 */
export function explainError(err: unknown, ctx: ExplainContext): string {
  if (isVMError(err)) {
    switch (err.code) {
      case "UNAVAILABLE":
        return ctx.provider === "docker"
          ? "No Docker engine answers. Start one with `bash scripts/docker-engine.sh` (or run the demo with `bash scripts/run.sh demo`, which does), or point DOCKER_HOST at a running engine."
          : `Morph does not answer at ${ctx.baseUrl ?? "its default URL"}. Check the network, or --base-url / MORPH_BASE_URL.`;
      case "UNAUTHENTICATED":
        return ctx.provider === "morph"
          ? "Morph rejected the API key. Set MORPH_API_KEY to a valid key (create one at https://cloud.morph.so/web/keys) and run again."
          : "The Docker engine rejected our credentials. Check DOCKER_HOST and its TLS settings (DOCKER_CERT_PATH, DOCKER_TLS_VERIFY).";
      case "PERMISSION_DENIED":
        return ctx.provider === "docker"
          ? "Permission denied talking to the Docker engine. Run as root or as a member of the docker group."
          : "Morph refused this operation for this API key. Check the key's permissions.";
      case "NOT_FOUND":
        return `Not found: ${firstLine(err.message)}. Check --image (or VM_BASE_IMAGE); on Docker, \`bash scripts/base-image.sh\` builds the base image.`;
      case "RATE_LIMITED":
        return `${ctx.provider} is rate limiting us. Wait a minute and run again.`;
      case "INVALID_ARGUMENT":
        return `${firstLine(err.message)} (see --help)`;
      default:
        return `${err.code}${err.operation ? ` in ${err.operation}` : ""}: ${firstLine(err.message)}`;
    }
  }
  return err instanceof Error ? firstLine(err.message) : firstLine(String(err));
}

function firstLine(text: string): string {
  return text.split("\n")[0]?.trim() ?? "";
}
