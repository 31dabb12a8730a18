import { strict as assert } from "node:assert";
import type { CaseContext } from "../types.js";

// The service the reach cases expose, run with node in the VM: `node server.js <port> <ready file>`.
//   GET /hello          "hello <pid>"
//   GET /gated?file=F   "first\n", then (once F exists in the VM) "second\n": proves the answer
//                       streams through (a proxy that buffers it would never show "first")
//   GET /stream         "chunk 0\n" … "chunk 49\n", one every 5 ms
//   GET /forever        "start\n", then "tick\n" every 100 ms until the client goes away
//   GET /pair           answered only once two /pair requests are in flight at the same time
//   POST /echo          the request body back
//   WebSocket (any path): echoes every text or binary message, answers close
const SERVER = String.raw`const http = require("http"), crypto = require("crypto"), fs = require("fs");
const [port, ready] = process.argv.slice(2);
const pairs = [];
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/hello") return res.end("hello " + process.pid);
  if (url.pathname === "/gated") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("first\n");
    const t = setInterval(() => { if (fs.existsSync(url.searchParams.get("file"))) { clearInterval(t); res.end("second\n"); } }, 20);
    res.on("close", () => clearInterval(t));
    return;
  }
  if (url.pathname === "/stream") {
    res.writeHead(200, { "content-type": "text/plain" });
    let i = 0;
    const t = setInterval(() => { res.write("chunk " + i + "\n"); if (++i === 50) { clearInterval(t); res.end(); } }, 5);
    return;
  }
  if (url.pathname === "/forever") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("start\n");
    const t = setInterval(() => res.write("tick\n"), 100);
    res.on("close", () => clearInterval(t));
    return;
  }
  if (url.pathname === "/pair") {
    pairs.push(res);
    if (pairs.length >= 2) for (const r of pairs.splice(0)) r.end("paired");
    return;
  }
  if (url.pathname === "/echo" && req.method === "POST") return req.pipe(res);
  res.statusCode = 404;
  res.end("no such path");
});
server.on("upgrade", (req, socket) => {
  const accept = crypto.createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
  let buf = Buffer.alloc(0);
  socket.on("data", (data) => {
    buf = Buffer.concat([buf, data]);
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 127, at = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
      else if (len === 127) { socket.destroy(); return; }
      if (buf.length < at + 4 + len) return;
      const mask = buf.subarray(at, at + 4);
      const payload = Buffer.from(buf.subarray(at + 4, at + 4 + len)).map((b, i) => b ^ mask[i % 4]);
      const opcode = buf[0] & 15;
      buf = buf.subarray(at + 4 + len);
      if (opcode === 8) { socket.end(Buffer.from([0x88, 0])); return; }
      if (opcode !== 1 && opcode !== 2) continue;
      const head = payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length]) : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 255]);
      socket.write(Buffer.concat([head, payload]));
    }
  });
  socket.on("error", () => socket.destroy());
});
server.listen(Number(port), "127.0.0.1", () => fs.writeFileSync(ready, String(process.pid)));
`;

// Starts it in the background and waits (in the VM, bounded) for its ready file; prints its pid.
const START = String.raw`nohup node "$1" "$2" "$3" >/dev/null 2>&1 &
for _ in $(seq 400); do
  if [ -s "$3" ]; then cat "$3"; exit 0; fi
  sleep 0.05
done
exit 1`;

/** A free-looking port for one case: cases share an instance, so each takes its own. */
function casePort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

/**
 * Starts the reach cases' HTTP/WebSocket service on a loopback port of `instanceId` and waits
 * until it listens. It is killed after the case.
 */
export async function startService(ctx: CaseContext, instanceId: string): Promise<{ port: number; pid: number; dir: string }> {
  const dir = await ctx.scratchDir(instanceId);
  const port = casePort();
  await ctx.provider.files.writeFile(instanceId, `${dir}/server.js`, SERVER);
  const started = await ctx.provider.instances.exec(instanceId, ["bash", "-c", START, "bash", `${dir}/server.js`, String(port), `${dir}/ready`], { timeoutMs: 60_000 });
  assert.equal(started.exit_code, 0, `the service did not start in the VM (is node on PATH?): ${started.stderr}`);
  const pid = Number(started.stdout.trim());
  ctx.track.add(`service pid ${pid}`, async () => {
    await ctx.provider.instances.exec(instanceId, ["kill", "-9", String(pid)]).catch(() => undefined);
  });
  return { port, pid, dir };
}

/** `fetch` bounded by `timeoutMs`, so a route that hangs fails the case instead of holding it. */
export function fetchWithin(url: string | URL, init: RequestInit = {}, timeoutMs = 30_000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/** Reads a streamed body until `want` has arrived (or the body ends); returns what was read. */
export async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, want: string): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(want)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}
