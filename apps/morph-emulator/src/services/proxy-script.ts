/**
 * The program `node -e` runs inside the instance for one proxied request: it reads
 * `{port, method, path, headers, body (base64), timeoutMs, maxBytes}` on stdin, fetches
 * `http://127.0.0.1:<port><path>` (the instance's own loopback) and writes
 * `{status, headers, body (base64)}` or `{error}` on stdout. The answer body is read whole and
 * cut off past `maxBytes` (`{error: "too_large"}`), so a stream or an endless answer is bounded.
 */
export const PROXY_SCRIPT = `
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", async () => {
  const out = (o) => process.stdout.write(JSON.stringify(o));
  const r = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  try {
    const res = await fetch("http://127.0.0.1:" + r.port + r.path, {
      method: r.method,
      headers: r.headers,
      body: r.body ? Buffer.from(r.body, "base64") : undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(r.timeoutMs),
    });
    const parts = [];
    let size = 0;
    if (res.body) {
      for await (const part of res.body) {
        size += part.length;
        if (size > r.maxBytes) { out({ error: "too_large" }); process.exit(0); }
        parts.push(part);
      }
    }
    out({ status: res.status, headers: [...res.headers], body: Buffer.concat(parts).toString("base64") });
  } catch (e) {
    out({ error: String((e && e.message) || e) });
  }
});
`;
