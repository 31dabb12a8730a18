import { describe, expect, it } from "vitest";
import { createDemuxer } from "./demux.js";

function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

function collect(chunks: Buffer[]) {
  const out: Record<string, Buffer[]> = { stdout: [], stderr: [] };
  const push = createDemuxer((stream, data) => out[stream]!.push(Buffer.from(data)));
  for (const chunk of chunks) push(chunk);
  return { stdout: Buffer.concat(out.stdout!).toString(), stderr: Buffer.concat(out.stderr!).toString() };
}

describe("createDemuxer", () => {
  const wire = Buffer.concat([frame(1, "hello "), frame(2, "oops"), frame(1, Buffer.alloc(0)), frame(1, "world é")]);

  it("splits whole frames", () => {
    expect(collect([wire])).toEqual({ stdout: "hello world é", stderr: "oops" });
  });

  it("handles headers and payloads cut at every possible byte", () => {
    for (let cut = 1; cut < wire.length; cut++) {
      expect(collect([wire.subarray(0, cut), wire.subarray(cut)])).toEqual({ stdout: "hello world é", stderr: "oops" });
    }
    expect(collect([...wire].map((b) => Buffer.from([b])))).toEqual({ stdout: "hello world é", stderr: "oops" });
  });
});
