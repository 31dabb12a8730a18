import { describe, expect, it } from "vitest";
import { createStartFailureGate, readStartFailure, startFailureError, startFailureMarker } from "./start-failure.js";

const ID = "0b7c-1";
const EXEC_NO_CWD_MARKER = startFailureMarker("cwd", ID);
const EXEC_NO_USER_MARKER = startFailureMarker("user", ID);

describe("readStartFailure", () => {
  it("is the wrapper's answer only with exit 125, no stdout and exactly one marker", () => {
    expect(readStartFailure({ stdout: "", stderr: EXEC_NO_CWD_MARKER, exit_code: 125 }, ID)).toBe("cwd");
    expect(readStartFailure({ stdout: "", stderr: EXEC_NO_USER_MARKER, exit_code: 125 }, ID)).toBe("user");
    expect(readStartFailure({ stdout: "", stderr: "", exit_code: 125 }, ID), "a command's own 125 is a result").toBeUndefined();
    expect(readStartFailure({ stdout: "", stderr: startFailureMarker("cwd", "other"), exit_code: 125 }, ID), "another exec's marker (a nested wrapper's) is output").toBeUndefined();
    expect(readStartFailure({ stdout: "", stderr: startFailureMarker("cwd"), exit_code: 125 }, ID)).toBeUndefined();
    expect(readStartFailure({ stdout: "", stderr: "vm-exec: no such user\n", exit_code: 125 }), "without an exec id, the bare line").toBe("user");
    expect(readStartFailure({ stdout: "x", stderr: EXEC_NO_CWD_MARKER, exit_code: 125 })).toBeUndefined();
    expect(readStartFailure({ stdout: "", stderr: `x${EXEC_NO_CWD_MARKER}`, exit_code: 125 })).toBeUndefined();
    expect(readStartFailure({ stdout: "", stderr: EXEC_NO_CWD_MARKER, exit_code: 1 })).toBeUndefined();
  });
  it("is NOT_FOUND naming the cwd or user", () => {
    const err = startFailureError("cwd", { cwd: "/root/sub", user: "nobody" }, { provider: "p", operation: "instances.exec" });
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toContain('"/root/sub"');
    expect(startFailureError("user", { user: "bob" }, { provider: "p", operation: "o" }).message).toContain('"bob"');
  });
});

describe("createStartFailureGate", () => {
  it("holds a marker split over chunks and reports the failure at exit 125", () => {
    const gate = createStartFailureGate(ID);
    expect(gate.push({ type: "stderr", data: EXEC_NO_USER_MARKER.slice(0, 5) })).toEqual([]);
    expect(gate.push({ type: "stderr", data: EXEC_NO_USER_MARKER.slice(5) })).toEqual([]);
    expect(gate.exit(125)).toEqual({ failure: "user" });
  });
  it("releases held stderr when the exit is not the wrapper's, and passes stdout at once", () => {
    const gate = createStartFailureGate(ID);
    expect(gate.push({ type: "stderr", data: "vm-exec" })).toEqual([]);
    expect(gate.exit(125)).toEqual({ chunks: [{ type: "stderr", data: "vm-exec" }] });
    const other = createStartFailureGate(ID);
    expect(other.push({ type: "stderr", data: "vm-" })).toEqual([]);
    expect(other.push({ type: "stdout", data: "out" })).toEqual([
      { type: "stderr", data: "vm-" },
      { type: "stdout", data: "out" },
    ]);
    expect(other.push({ type: "stderr", data: EXEC_NO_CWD_MARKER })).toEqual([{ type: "stderr", data: EXEC_NO_CWD_MARKER }]);
    expect(other.exit(125)).toEqual({ chunks: [] });
  });
  it("releases stderr that stops matching a marker", () => {
    const gate = createStartFailureGate(ID);
    expect(gate.push({ type: "stderr", data: "vm-exec: x" })).toEqual([{ type: "stderr", data: "vm-exec: x" }]);
  });
});
