import { VMError, isVMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { START_ENGINE_HINT, dockerErrorCode, fromDockerError } from "./errors.js";
import { DockerRequestTimeoutError } from "./request-timeout.js";

// Shaped like docker-modem's errors: "(HTTP code N) reason - message", statusCode, json.
function httpError(statusCode: number, message: string) {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });
}

describe("fromDockerError", () => {
  it.each([
    [404, "No such container: abc", "NOT_FOUND"],
    [409, "conflict: unable to delete (cannot be forced) - image is being used by running container", "CONFLICT"],
    [400, "invalid reference format", "INVALID_ARGUMENT"],
    [401, "unauthorized", "UNAUTHENTICATED"],
    [403, "forbidden", "PERMISSION_DENIED"],
    [429, "slow down", "RATE_LIMITED"],
    [500, "Container abc is not running", "CONFLICT"],
    [500, "container abc is paused, unpause the container before exec", "CONFLICT"],
    [404, "Could not find the file /x in container abc", "NOT_FOUND"],
    [404, "No such image: vm-snapshot:x", "NOT_FOUND"],
    [500, "No such container: abc", "NOT_FOUND"],
    [500, "no such image: abc", "NOT_FOUND"],
    [500, "No such exec instance: abc", "NOT_FOUND"],
    // A file missing on the engine's host, not the object the caller named.
    [500, 'error gathering device information while adding custom device "/dev/x": no such file or directory', "INTERNAL"],
    [500, "exec: \"docker-init\": executable file not found in $PATH", "INTERNAL"],
    [500, "OCI runtime create failed: runc create failed: unable to start container process: exec: \"/sbin/docker-init\": stat /sbin/docker-init: no such file or directory", "INTERNAL"],
    [500, "Could not find the file /x in container abc: no such file", "UNAVAILABLE"],
    [404, "page not found", "INTERNAL"],
    [500, "open /x: permission denied", "PERMISSION_DENIED"],
    [500, 'Error processing tar file(exit status 1): cannot overwrite directory "/d/sub" with non-directory "/d"', "INVALID_ARGUMENT"],
    // Podman 4.3's answer to the same upload.
    [500, 'copier: put: error creating "/d/sub": creating "/d/sub": file exists', "INVALID_ARGUMENT"],
    [500, "extraction point is not a directory", "INVALID_ARGUMENT"],
    [500, "mkdir /proc/x: read-only file system", "PERMISSION_DENIED"],
    [500, "write /var/lib/docker/overlay2/abc/merged/tmp/a: no space left on device", "RESOURCE_EXHAUSTED"],
    [500, "Error processing tar file(exit status 1): write /a.bin: disk quota exceeded", "RESOURCE_EXHAUSTED"],
    [500, "Error processing tar file(exit status 1): unlinkat /etc/hosts: device or resource busy", "CONFLICT"],
    [500, "something broke", "UNAVAILABLE"],
    [503, "busy", "UNAVAILABLE"],
  ])("HTTP %i (%s) -> %s", (status, message, code) => {
    const cause = httpError(status, message);
    const err = fromDockerError(cause, { operation: "instances.get", subject: "instance abc" });
    expect(err).toBeInstanceOf(VMError);
    expect(isVMError(err)).toBe(true);
    expect(err.code).toBe(code);
    expect(err.cause).toBe(cause);
    expect(err.provider).toBe("docker");
    expect(err.operation).toBe("instances.get");
    expect(err.message).toBe(`instance abc: ${message}`);
  });

  it.each(["ECONNREFUSED", "ENOENT", "ECONNRESET", "ETIMEDOUT"])("%s on the socket -> UNAVAILABLE with a hint", (sys) => {
    const cause = Object.assign(new Error(`connect ${sys} /var/run/docker.sock`), { code: sys });
    const err = fromDockerError(cause, { operation: "instances.list" });
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toContain(START_ENGINE_HINT);
    expect(err.message).toContain("bash scripts/docker-engine.sh");
    expect(err.cause).toBe(cause);
  });

  it("maps EACCES, aborts and unknown errors", () => {
    expect(dockerErrorCode(Object.assign(new Error("x"), { code: "EACCES" }))).toBe("PERMISSION_DENIED");
    expect(dockerErrorCode(Object.assign(new Error("x"), { name: "AbortError" }))).toBe("ABORTED");
    expect(dockerErrorCode(new Error("weird"))).toBe("INTERNAL");
    expect(dockerErrorCode("a string")).toBe("INTERNAL");
  });

  it("passes VMErrors through", () => {
    const original = new VMError("TIMEOUT", "slow", { provider: "docker", operation: "x" });
    expect(fromDockerError(original, { operation: "y" })).toBe(original);
  });

  it("uses a Buffer or string body when there is no JSON message", () => {
    const err = Object.assign(new Error("(HTTP code 404) no such container - "), { statusCode: 404, json: Buffer.from("page not found") });
    expect(fromDockerError(err, { operation: "get" }).message).toBe("page not found");
  });

  it("a request the engine did not answer in time -> UNAVAILABLE naming the request and requestTimeoutMs, not the start hint", () => {
    const cause = new DockerRequestTimeoutError("POST /containers/abc/exec", 2000);
    expect(dockerErrorCode(cause)).toBe("UNAVAILABLE");
    const err = fromDockerError(cause, { operation: "instances.exec", subject: "instance abc" });
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toBe("Docker engine did not answer POST /containers/abc/exec within 2000 ms (requestTimeoutMs)");
    expect(err.message).not.toContain(START_ENGINE_HINT);
    expect(err.cause).toBe(cause);
    // A caller's abort (Node's AbortError, code ABORT_ERR) stays ABORTED.
    const abort = Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR", cause });
    expect(fromDockerError(abort, { operation: "instances.exec" }).code).toBe("ABORTED");
  });
});
