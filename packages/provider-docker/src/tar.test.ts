import { isVMError } from "@vm/provider-kit";
import { pack } from "tar-stream";
import { describe, expect, it } from "vitest";
import { createFirstEntryParser } from "./tar.js";
import type { FirstEntryResult } from "./tar.js";

const ctx = { provider: "docker", operation: "files.readFileBytes" };

interface HeaderSpec {
  name?: string;
  size?: number;
  type?: string;
  linkname?: string;
  base256?: boolean;
}

/** One 512-byte ustar header with a valid checksum. */
function header({ name = "f", size = 0, type = "0", linkname = "", base256 = false }: HeaderSpec): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100, "latin1");
  h.write("0000000\0", 108, "latin1");
  h.write("0000000\0", 116, "latin1");
  if (base256) {
    h[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--) {
      h[i] = v % 256;
      v = Math.floor(v / 256);
    }
  } else {
    h.write(`${size.toString(8).padStart(11, "0")}\0`, 124, "latin1");
  }
  h.write("00000000000\0", 136, "latin1");
  h.write(type, 156, "latin1");
  h.write(linkname, 157, 100, "utf8");
  h.write("ustar\0", 257, "latin1");
  h.write("00", 263, "latin1");
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return h;
}

function padded(body: Buffer): Buffer {
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

function paxBody(records: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(records)) {
    const payload = ` ${key}=${value}\n`;
    let len = Buffer.byteLength(payload) + 1;
    while (`${len}`.length + Buffer.byteLength(payload) !== len) len++;
    parts.push(Buffer.from(`${len}${payload}`, "utf8"));
  }
  return Buffer.concat(parts);
}

const END = Buffer.alloc(1024);

function feed(chunks: Buffer[]): FirstEntryResult {
  const parser = createFirstEntryParser(ctx);
  for (const chunk of chunks) {
    const done = parser.push(chunk);
    if (done) return done;
  }
  return parser.end();
}

function splitEvery(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

function packed(entries: { name: string; body?: Buffer; type?: "file" | "symlink" | "directory"; linkname?: string }[]): Promise<Buffer> {
  const tar = pack();
  for (const e of entries) {
    if (e.type === "symlink") tar.entry({ name: e.name, type: "symlink", linkname: e.linkname ?? "" });
    else if (e.type === "directory") tar.entry({ name: e.name, type: "directory" });
    else tar.entry({ name: e.name }, e.body ?? Buffer.alloc(0));
  }
  tar.finalize();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    tar.on("data", (c: unknown) => void chunks.push(c as Buffer));
    tar.on("end", () => resolve(Buffer.concat(chunks)));
    tar.on("error", reject);
  });
}

describe("createFirstEntryParser", () => {
  it("reads a plain ustar file entry and stops at its end", () => {
    const body = Buffer.from("hello tar\n");
    const archive = Buffer.concat([header({ name: "hello.txt", size: body.length }), padded(body), END]);
    const { entry } = feed([archive]);
    expect(entry).toEqual({ kind: "file", name: "hello.txt", data: body });
  });

  it("returns as soon as the body is complete, before the padding and end blocks arrive", () => {
    const body = Buffer.from("abc");
    const parser = createFirstEntryParser(ctx);
    expect(parser.push(header({ name: "a", size: 3 }))).toBeUndefined();
    expect(parser.push(body)?.entry).toEqual({ kind: "file", name: "a", data: body });
  });

  it("reads an archive made by tar-stream (octal size, ustar prefix unused)", async () => {
    const body = Buffer.from("x".repeat(1500));
    const archive = await packed([{ name: "data.bin", body }, { name: "second", body: Buffer.from("no") }]);
    expect(feed([archive]).entry).toEqual({ kind: "file", name: "data.bin", data: body });
  });

  it("reads a GNU base-256 size", () => {
    const body = Buffer.from([0, 1, 2, 3, 255, 254, 253]);
    const archive = Buffer.concat([header({ name: "b256", size: body.length, base256: true }), padded(body), END]);
    expect(feed([archive]).entry).toEqual({ kind: "file", name: "b256", data: body });
  });

  it("takes the path (long, unicode) and size from a pax 'x' header", () => {
    const longName = `${"dír/".repeat(40)}ファイル-😀.txt`;
    const body = Buffer.from("pax body");
    const pax = paxBody({ path: longName, size: String(body.length) });
    const archive = Buffer.concat([
      header({ name: "PaxHeaders/x", size: pax.length, type: "x" }),
      padded(pax),
      // The ustar size says 0; the pax size (8) wins.
      header({ name: "truncated-name", size: 0 }),
      padded(body),
      END,
    ]);
    expect(feed([archive]).entry).toEqual({ kind: "file", name: longName, data: body });
  });

  it("applies a pax global 'g' header and reads tar-stream's own pax output", async () => {
    const global = paxBody({ comment: "ignored", path: "from-global" });
    const archiveG = Buffer.concat([header({ name: "g", size: global.length, type: "g" }), padded(global), header({ name: "short", size: 1 }), padded(Buffer.from("z")), END]);
    expect(feed([archiveG]).entry).toEqual({ kind: "file", name: "from-global", data: Buffer.from("z") });

    const longName = `${"sub-directory/".repeat(12)}naïve-ñ.bin`;
    const body = Buffer.from("through tar-stream");
    const archive = await packed([{ name: longName, body }]);
    expect(feed([archive]).entry).toEqual({ kind: "file", name: longName, data: body });
  });

  it("takes the name from a GNU 'L' long-name entry and a link target from 'K'", () => {
    const longName = `${"a".repeat(300)}/été.txt`;
    const nameBody = Buffer.from(`${longName}\0`, "utf8");
    const body = Buffer.from("gnu");
    const archive = Buffer.concat([header({ name: "././@LongLink", size: nameBody.length, type: "L" }), padded(nameBody), header({ name: "aaaa", size: body.length }), padded(body), END]);
    expect(feed([archive]).entry).toEqual({ kind: "file", name: longName, data: body });

    const target = `/${"t".repeat(200)}`;
    const linkBody = Buffer.from(`${target}\0`, "utf8");
    const link = Buffer.concat([header({ name: "././@LongLink", size: linkBody.length, type: "K" }), padded(linkBody), header({ name: "ln", type: "2", linkname: "ttt" }), END]);
    expect(feed([link]).entry).toEqual({ kind: "symlink", name: "ln", target });
  });

  it("reassembles a body split across many small chunks (headers split too)", () => {
    const body = Buffer.alloc(100_003);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 251;
    const pax = paxBody({ path: "long/" + "p".repeat(200) });
    const archive = Buffer.concat([header({ name: "x", size: pax.length, type: "x" }), padded(pax), header({ name: "big", size: body.length }), padded(body), END]);
    for (const size of [1, 7, 511, 513, 4096]) {
      const { entry } = feed(splitEvery(archive, size));
      expect(entry?.kind).toBe("file");
      expect(entry?.kind === "file" && entry.data.equals(body)).toBe(true);
    }
  });

  it("reads an empty file, a symlink, a directory and other types", async () => {
    expect(feed([header({ name: "empty", size: 0 })]).entry).toEqual({ kind: "file", name: "empty", data: Buffer.alloc(0) });
    expect(feed([await packed([{ name: "l", type: "symlink", linkname: "../target" }])]).entry).toEqual({ kind: "symlink", name: "l", target: "../target" });
    expect(feed([await packed([{ name: "d", type: "directory" }])]).entry).toEqual({ kind: "directory", name: "d" });
    expect(feed([Buffer.concat([header({ name: "p", type: "6" }), END])]).entry).toEqual({ kind: "other", name: "p", type: "fifo" });
  });

  it("reports an empty archive (end blocks only, or no bytes at all) as no entry", () => {
    expect(feed([END]).entry).toBeUndefined();
    expect(feed([]).entry).toBeUndefined();
  });

  it("fails with INTERNAL on a truncated stream", () => {
    const body = Buffer.alloc(2000, 1);
    const archive = Buffer.concat([header({ name: "cut", size: body.length }), body.subarray(0, 1500)]);
    for (const chunks of [[archive], splitEvery(archive, 100), [archive.subarray(0, 300)]]) {
      let caught: unknown;
      try {
        feed(chunks);
      } catch (err) {
        caught = err;
      }
      expect(isVMError(caught) && caught.code).toBe("INTERNAL");
    }
    expect(() => feed([archive])).toThrow(/ended after 1500 of 2000 bytes/);
  });

  it("fails with INTERNAL on a corrupt header (bad checksum)", () => {
    const h = header({ name: "bad", size: 1 });
    h[0] = 0x41;
    expect(() => feed([h, padded(Buffer.from("x"))])).toThrow(/checksum/);
  });
});
