import { describe, expect, it } from "vitest";
import { MAX_STREAMED_LINE_CHARS, lineSplitter, readStreamLogsOptions, streamLogsArgv } from "./stream-logs.js";

const ctx = { provider: "test", operation: "processes.streamLogs" };

describe("lineSplitter", () => {
  it("yields whole lines only, holding a partial one until its end arrives", () => {
    const split = lineSplitter("out");
    expect(split("a\nb")).toEqual([{ stream: "out", line: "a" }]);
    expect(split("c\n\nd\n")).toEqual([
      { stream: "out", line: "bc" },
      { stream: "out", line: "" },
      { stream: "out", line: "d" },
    ]);
    expect(split("")).toEqual([]);
  });

  it("cuts a line longer than MAX_STREAMED_LINE_CHARS into pieces, so memory stays bounded", () => {
    const split = lineSplitter("err");
    const pieces = split("x".repeat(MAX_STREAMED_LINE_CHARS * 2 + 5));
    expect(pieces.map((p) => p.line.length)).toEqual([MAX_STREAMED_LINE_CHARS, MAX_STREAMED_LINE_CHARS]);
    expect(split("\n")).toEqual([{ stream: "err", line: "xxxxx" }]);
  });
});

describe("streamLogs arguments", () => {
  it("passes the files as arguments, out files before the '-' separator", () => {
    const argv = streamLogsArgv(["/a/out 1.log"], ["/a/err.log", "/b/err.log"]);
    expect(argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(argv.slice(3)).toEqual(["vm-pm2-logs", "/a/out 1.log", "-", "/a/err.log", "/b/err.log"]);
  });

  it("refuses unknown keys, a non-signal and an aborted signal before any work", () => {
    expect(() => readStreamLogsOptions({ lines: 5 }, ctx)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => readStreamLogsOptions({ signal: {} }, ctx)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => readStreamLogsOptions({ signal: AbortSignal.abort() }, ctx)).toThrow(expect.objectContaining({ code: "ABORTED" }));
    expect(readStreamLogsOptions(undefined, ctx)).toEqual({});
  });
});
