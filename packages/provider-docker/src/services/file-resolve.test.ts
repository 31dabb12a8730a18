import { describe, expect, it } from "vitest";
import { parseReadResolution, parseWriteResolution } from "./file-resolve.js";

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");

describe("parseReadResolution", () => {
  it("reads the header, the resolved path and inline content", () => {
    expect(parseReadResolution(`f 5 root ${b64("/opt/deep/x")}\n${b64("hello")}`, 10)).toEqual({
      kind: "file",
      size: 5,
      onRoot: true,
      real: "/opt/deep/x",
      inline: Buffer.from("hello"),
    });
    expect(parseReadResolution("o\n", 10)).toEqual({ kind: "other" });
  });

  it("a large file has no inline content; a path on a mount or not UTF-8 is not for the archive API", () => {
    expect(parseReadResolution(`f 11 mount ${b64("/dev/shm/x")}\n`, 10)).toMatchObject({ onRoot: false, inline: undefined, real: "/dev/shm/x" });
    expect(parseReadResolution(`f 0 root ${b64(Buffer.from([0x2f, 0x61, 0xff]))}\n`, 10)).toMatchObject({ real: undefined, inline: Buffer.alloc(0) });
    expect(parseReadResolution(`f 0 root ${b64("relative")}\n`, 10)).toMatchObject({ real: undefined });
  });

  it("anything malformed is undefined", () => {
    for (const bad of ["", "f 1 root\n", `f x root ${b64("/a")}\n`, `f 1 elsewhere ${b64("/a")}\n`, `f 1 root ${b64("/a")}\nnot base64!`]) {
      expect(parseReadResolution(bad, 10)).toBeUndefined();
    }
  });
});

describe("parseWriteResolution", () => {
  it("reads what is at the path and the resolved parent", () => {
    expect(parseWriteResolution(`l root ${b64("/opt/deep")}\n`)).toEqual({ existing: "link", onRoot: true, realDir: "/opt/deep" });
    expect(parseWriteResolution(`n mount ${b64("/dev/shm")}\n`)).toEqual({ existing: "none", onRoot: false, realDir: "/dev/shm" });
  });

  it("anything malformed is undefined", () => {
    for (const bad of ["", "x root Lw==\n", "f root\n", "f root Lw==\nmore"]) expect(parseWriteResolution(bad)).toBeUndefined();
  });
});
