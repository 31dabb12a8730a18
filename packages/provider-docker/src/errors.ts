import type { VMErrorCode } from "@vm/core";
import { VMError, codeForHttpStatus, isVMError } from "@vm/provider-kit";
import { REQUEST_TIMEOUT_CODE } from "./request-timeout.js";

/**
 * Where a Docker error happened: the contract operation and, optionally, what it was about
 * (an instance id, a path), used only to make the message readable.
 */
export interface DockerErrorContext {
  operation: string;
  /** e.g. `"instance 3f2a…"` or `"snapshot sha256:…"`. */
  subject?: string;
  /** Defaults to `"docker"`. */
  provider?: string;
}

/**
 * How to bring an engine up, repeated in every UNAVAILABLE message for an unreachable engine.
 */
export const START_ENGINE_HINT =
  "Start a Docker engine (run `bash scripts/docker-engine.sh` in the vm repository, or start Docker Desktop / `sudo systemctl start docker`) or point DOCKER_HOST at a reachable one.";

const SOCKET_UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"]);

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The engine's own message (`{"message": "..."}`), without dockerode's `(HTTP code …)` prefix. */
function engineMessage(err: unknown): string {
  const json = field(err, "json");
  const fromJson = field(json, "message");
  if (typeof fromJson === "string" && fromJson.length > 0) return fromJson.trim();
  if (typeof json === "string" && json.length > 0) return json.trim();
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString("utf8").trim();
  const message = field(err, "message");
  return typeof message === "string" ? message.replace(/^\(HTTP code \d+\)\s*/, "").trim() : String(err);
}

/**
 * Picks the VMError code for a dockerode/HTTP/socket error. Pure; exported for tests and
 * for wrappers that want the code without building an error.
 */
export function dockerErrorCode(err: unknown): VMErrorCode {
  if (isVMError(err)) return err.code;
  // The provider's own bound on an engine request (request-timeout.ts): the engine is there
  // but does not answer. Checked before the abort test: it is not the caller's abort.
  if (field(err, "code") === REQUEST_TIMEOUT_CODE) return "UNAVAILABLE";
  const name = field(err, "name");
  if (name === "AbortError" || field(err, "code") === "ABORT_ERR") return "ABORTED";
  const status = field(err, "statusCode");
  if (typeof status === "number") {
    const message = engineMessage(err).toLowerCase();
    // 404 is the engine saying the object the request named is missing, except for a route
    // the engine does not know ("page not found": an API version mismatch), which is no
    // statement about the caller's object.
    if (status === 404) return /^(404 )?page not found$/.test(message) ? "INTERNAL" : "NOT_FOUND";
    // The HTTP status says it all, except for the 5xx (and odd statuses) the engine answers
    // with a message that names the real cause: those are refined below.
    const byStatus = codeForHttpStatus(status);
    if (byStatus !== "UNAVAILABLE" && byStatus !== "INTERNAL") return byStatus;
    // The engine answers 500 for a few state conflicts; branch on them once, here.
    if (/is not running|is paused|is restarting|is already in progress|marked for removal/.test(message)) return "CONFLICT";
    // A mount point (the engine's bind-mounted /etc/hosts) that an archive upload tried to replace.
    if (/device or resource busy/.test(message)) return "CONFLICT";
    // Some engines (Podman) answer 500 for a missing object, always with these words. A bare
    // "no such file or directory" is not one of them: it is a file missing on the engine's
    // host (an init binary, a device, a runtime), not what the caller named.
    if (/no such (container|image|exec)\b/.test(message)) return "NOT_FOUND";
    if (/no such file or directory|executable file not found/.test(message)) return "INTERNAL";
    if (/permission denied|read-only file system|operation not permitted/.test(message)) return "PERMISSION_DENIED";
    // A full file system: the instance's (an archive upload) or the engine's (a commit, a create).
    if (/no space left on device|disk quota exceeded/.test(message)) return "RESOURCE_EXHAUSTED";
    // Archive extraction: a directory where a file should go, or a file where a directory should
    // (Docker: "cannot overwrite directory"; Podman's copier: "copier: put: error creating …: file exists").
    if (/cannot overwrite (directory|non-directory)|not a directory|is a directory|copier: put: .*file exists/.test(message)) return "INVALID_ARGUMENT";
    return byStatus;
  }
  const code = field(err, "code") ?? field(field(err, "cause"), "code");
  if (code === "EACCES") return "PERMISSION_DENIED";
  if (typeof code === "string" && SOCKET_UNREACHABLE.has(code)) return "UNAVAILABLE";
  return "INTERNAL";
}

/**
 * The one place where dockerode, HTTP and socket errors become `VMError`s:
 * 404 → NOT_FOUND (the object the request named is missing; a 404 for an unknown route is
 * INTERNAL), a 500 "No such container/image/exec" → NOT_FOUND, any other 5xx naming a missing
 * file ("no such file or directory": the engine host's init binary, device, runtime) →
 * INTERNAL, 409 → CONFLICT, 400 → INVALID_ARGUMENT, 401 → UNAUTHENTICATED,
 * 403 → PERMISSION_DENIED, 5xx → UNAVAILABLE (except the engine's "is not running" answers,
 * which are CONFLICT, and "no space left on device", which is RESOURCE_EXHAUSTED), an unreachable socket → UNAVAILABLE with a hint on how to start an
 * engine, a request the engine did not answer within `requestTimeoutMs` → UNAVAILABLE
 * "Docker engine did not answer … within N ms (requestTimeoutMs)", a caller's abort → ABORTED.
 * The original error is kept as `cause`; a `VMError` passes through unchanged.
 */
export function fromDockerError(err: unknown, ctx: DockerErrorContext): VMError {
  if (err instanceof VMError) return err;
  const options = { provider: ctx.provider ?? "docker", operation: ctx.operation, cause: err };
  if (isVMError(err)) return new VMError(err.code, err.message, options);
  const code = dockerErrorCode(err);
  const subject = ctx.subject ? `${ctx.subject}: ` : "";
  if (field(err, "code") === REQUEST_TIMEOUT_CODE) {
    const request = field(err, "request");
    const ms = field(err, "timeoutMs");
    return new VMError("UNAVAILABLE", `Docker engine did not answer ${typeof request === "string" ? request : "a request"} within ${typeof ms === "number" ? ms : "?"} ms (requestTimeoutMs)`, options);
  }
  if (code === "UNAVAILABLE" && typeof field(err, "statusCode") !== "number") {
    const raw = field(err, "code") ?? field(field(err, "cause"), "code");
    const sysCode = typeof raw === "string" ? raw : "error";
    return new VMError("UNAVAILABLE", `Docker engine unreachable (${sysCode}). ${START_ENGINE_HINT}`, options);
  }
  if (code === "PERMISSION_DENIED" && field(err, "code") === "EACCES") {
    return new VMError(code, `no permission to use the Docker socket (EACCES); add your user to the docker group or set DOCKER_HOST`, options);
  }
  if (code === "ABORTED") return new VMError(code, `${subject}aborted`, options);
  return new VMError(code, `${subject}${engineMessage(err)}`, options);
}
