// The programs the reach group runs with node, in the VM and on this machine. Plain CommonJS
// strings, so the very same client runs on both sides of the comparison.

/**
 * `node -e SERVER <ready file> <blob bytes>`: listens on a free loopback port of the VM and serves
 *   GET /ok    "ok" (2 bytes)
 *   GET /blob  <blob bytes> random bytes, made once at start
 * Once listening it writes "<pid> <port> <sha256 of the blob>" to the ready file (via a rename,
 * so a reader never sees half of it).
 */
export const SERVER_JS = String.raw`const http = require("http"), crypto = require("crypto"), fs = require("fs");
const [ready, size] = process.argv.slice(-2);
const blob = crypto.randomBytes(Number(size));
const server = http.createServer((req, res) => {
  if (req.url === "/ok") { res.writeHead(200, { "content-type": "text/plain", "content-length": 2 }); return res.end("ok"); }
  if (req.url === "/blob") { res.writeHead(200, { "content-type": "application/octet-stream", "content-length": blob.length }); return res.end(blob); }
  res.statusCode = 404;
  res.end();
});
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(ready + ".tmp", process.pid + " " + server.address().port + " " + crypto.createHash("sha256").update(blob).digest("hex"));
  fs.renameSync(ready + ".tmp", ready);
});
`;

/** Starts the server in the background (bash), waits in the VM (bounded) for its ready file, prints it. */
export const START_SH = String.raw`nohup node -e "$1" -- "$2" "$3" >/dev/null 2>&1 &
for _ in $(seq 400); do
  if [ -s "$2" ]; then cat "$2"; exit 0; fi
  sleep 0.05
done
exit 1`;

/** What the client is asked to do: `warmup` untimed then `count` timed GETs of `url`, one after another. */
export interface ClientSpec {
  url: string;
  warmup: number;
  count: number;
  /** One kept-alive connection for all requests, or a new connection (`connection: close`) per request. */
  keepAlive: boolean;
}

/** One timed answer as the client saw it. */
export interface ClientAnswer {
  ms: number;
  status: number;
  bytes: number;
  sha256: string;
}

/**
 * `node -e CLIENT -- '<ClientSpec as JSON>'`: prints a JSON array of `ClientAnswer`, one per
 * timed request. Each time runs from sending the request to the end of its body, the body
 * hashed as it arrives (on both sides alike).
 */
export const CLIENT_JS = String.raw`const http = require("http"), crypto = require("crypto");
const spec = JSON.parse(process.argv[process.argv.length - 1]);
const agent = spec.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
const get = () => new Promise((resolve, reject) => {
  const start = performance.now();
  const req = http.get(spec.url, { agent, headers: spec.keepAlive ? {} : { connection: "close" } }, (res) => {
    const hash = crypto.createHash("sha256");
    let bytes = 0;
    res.on("data", (d) => { bytes += d.length; hash.update(d); });
    res.on("end", () => resolve({ ms: performance.now() - start, status: res.statusCode, bytes, sha256: hash.digest("hex") }));
    res.on("error", reject);
  });
  req.on("error", reject);
  req.setTimeout(60000, () => req.destroy(new Error("no answer in 60 s")));
});
(async () => {
  const answers = [];
  for (let i = 0; i < spec.warmup + spec.count; i++) {
    const answer = await get();
    if (i >= spec.warmup) answers.push(answer);
  }
  if (agent) agent.destroy();
  process.stdout.write(JSON.stringify(answers));
})().catch((err) => { process.stderr.write(String((err && err.stack) || err)); process.exit(1); });
`;
