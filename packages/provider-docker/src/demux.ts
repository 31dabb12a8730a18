/**
 * Splits Docker's multiplexed attach/exec stream (8-byte header: stream type, 3 zero bytes,
 * big-endian payload length; then the payload) into frames. Headers and payloads may be cut
 * anywhere across chunks. Stream type 1 is stdout, 2 is stderr; 0 (stdin) is reported as stdout.
 */
export function createDemuxer(onFrame: (stream: "stdout" | "stderr", data: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let stream: "stdout" | "stderr" = "stdout";
  let remaining = 0; // payload bytes still owed to the current frame
  return (chunk: Buffer) => {
    let buf = chunk;
    while (buf.length > 0) {
      if (remaining > 0) {
        const take = Math.min(remaining, buf.length);
        onFrame(stream, buf.subarray(0, take));
        remaining -= take;
        buf = buf.subarray(take);
        continue;
      }
      if (pending.length + buf.length < 8) {
        pending = Buffer.concat([pending, buf]);
        return;
      }
      const need = 8 - pending.length;
      const header = pending.length > 0 ? Buffer.concat([pending, buf.subarray(0, need)]) : buf.subarray(0, 8);
      buf = buf.subarray(need);
      pending = Buffer.alloc(0);
      stream = header[0] === 2 ? "stderr" : "stdout";
      remaining = header.readUInt32BE(4);
    }
  };
}
