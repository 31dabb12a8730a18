import { describe, expect, it } from "vitest";
import { fileErrorFromExecResult, fileErrorTag } from "./file-error.js";

const ctx = { provider: "p", operation: "files.readFile", path: "/a" };
const failed = (tag: string, extra = "") => ({ exit_code: 3, stdout: "", stderr: `${extra}\n@@vm-files-error ${tag}\n` });

describe("fileErrorFromExecResult", () => {
  it("maps every tag to its code", () => {
    const codes = Object.fromEntries(
      ["ENOENT", "EACCES", "EISDIR", "ENOTDIR", "EINVAL", "EEXIST", "ENOTEMPTY", "ENOSPC", "EBUSY", "EIO", "EWHATEVER"].map((tag) => [tag, fileErrorFromExecResult(failed(tag), ctx).code]),
    );
    expect(codes).toEqual({
      ENOENT: "NOT_FOUND",
      EACCES: "PERMISSION_DENIED",
      EISDIR: "INVALID_ARGUMENT",
      ENOTDIR: "INVALID_ARGUMENT",
      EINVAL: "INVALID_ARGUMENT",
      EEXIST: "ALREADY_EXISTS",
      ENOTEMPTY: "ALREADY_EXISTS",
      ENOSPC: "RESOURCE_EXHAUSTED",
      EBUSY: "CONFLICT",
      EIO: "INTERNAL",
      EWHATEVER: "INTERNAL",
    });
  });

  it("an unclassified failure is INTERNAL with the exit code", () => {
    const err = fileErrorFromExecResult({ exit_code: 127, stdout: "", stderr: "bash: not found\n" }, ctx);
    expect(err).toMatchObject({ code: "INTERNAL", provider: "p", operation: "files.readFile" });
    expect(err.message).toContain("127");
    expect(err.message).toContain("bash: not found");
  });

  it("takes the last tag, ignores stdout and keeps messages short", () => {
    expect(fileErrorTag({ exit_code: 3, stdout: "@@vm-files-error EACCES\n", stderr: "@@vm-files-error EIO\n@@vm-files-error ENOENT\n" })).toBe("ENOENT");
    expect(fileErrorTag({ exit_code: 1, stdout: "", stderr: "@@vm-files-error ENOENT\n" })).toBeUndefined();
    expect(fileErrorTag({ exit_code: 3, stdout: "", stderr: "no tag" })).toBeUndefined();
    const err = fileErrorFromExecResult(failed("ENOENT", "x".repeat(5000)), ctx);
    expect(err.message.length).toBeLessThan(300);
    expect(err.message).toContain('"/a"');
  });
});
