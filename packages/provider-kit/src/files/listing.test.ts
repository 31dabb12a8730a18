import { describe, expect, it } from "vitest";
import { parseListing } from "./listing.js";

const encode = (records: (string | Buffer)[][]) =>
  Buffer.concat(records.flat().map((f) => Buffer.concat([Buffer.isBuffer(f) ? f : Buffer.from(f), Buffer.from([0])]))).toString("base64");

describe("parseListing", () => {
  it("decodes records, sorts by name and joins paths", () => {
    const out = encode([
      ["b\nc", "f", "12", "1700000000.5000000000"],
      ["a", "d", "4096", "1700000001.0000000000"],
    ]);
    expect(parseListing(`${out}\n`, "/dir/")).toEqual([
      { path: "/dir/a", name: "a", isDirectory: true, size: 4096, modified: new Date(1_700_000_001_000) },
      { path: "/dir/b\nc", name: "b\nc", isDirectory: false, size: 12, modified: new Date(1_700_000_000_500) },
    ]);
    expect(parseListing(out, "/dir")?.[0]?.path).toBe("/dir/a");
  });

  it("an empty directory is an empty list", () => {
    expect(parseListing("", "/x")).toEqual([]);
  });

  it("refuses names that are not UTF-8 (two would decode alike), saying how many and the first one's bytes", () => {
    const out = encode([
      ["ok", "f", "0", "0"],
      [Buffer.from([0x62, 0x61, 0x64, 0xff]), "f", "0", "0"],
      [Buffer.from([0x62, 0x61, 0x64, 0xfe]), "f", "0", "0"],
      [Buffer.from("\\\n\xff", "latin1"), "f", "0", "0"],
    ]);
    let caught: unknown;
    try {
      parseListing(out, "/x", { provider: "test", operation: "files.listDirectory" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: "INVALID_ARGUMENT", provider: "test" });
    expect((caught as Error).message).toContain("3 names are not valid UTF-8");
    expect((caught as Error).message).toContain('(first: "\\x5c\\x0a\\xff")');
  });

  it("anything malformed is undefined", () => {
    expect(parseListing("not base64!", "/x")).toBeUndefined();
    expect(parseListing(Buffer.from("a\0f\0").toString("base64"), "/x")).toBeUndefined();
    expect(parseListing(Buffer.from("a\0f\0x\0y\0").toString("base64"), "/x")).toBeUndefined();
    expect(parseListing(Buffer.from("a\0f\x001\x002").toString("base64"), "/x")).toBeUndefined();
  });
});
