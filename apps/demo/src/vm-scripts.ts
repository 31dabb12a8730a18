// Source text of the two programs the demo runs inside the VM. They are plain CommonJS so
// PM2's cluster mode (which `require`s the script in each worker) loads them unchanged.

/**
 * The demo app: a Node HTTP server that reads its JSON config once at start-up (so a
 * changed config only shows after a restart) and answers every request with the config's
 * message, which worker answered, and the `APP_ENV` it was started with.
 *
 * @example
 * ```ts
 * import { SERVER_SOURCE } from "@vm/demo";
 * console.log(SERVER_SOURCE.includes("createServer")); // true
 * ```
 */
export const SERVER_SOURCE = `"use strict";
// vm-demo app: serves the message from its config file, one answer per request.
const fs = require("node:fs");
const http = require("node:http");

const configPath = process.env.CONFIG_PATH || "/app/config.json";
const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
const port = Number(process.env.PORT || 3000);
const worker = process.env.NODE_APP_INSTANCE || "0";

http
  .createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: config.message, name: config.name, worker, pid: process.pid, appEnv: process.env.APP_ENV }));
  })
  .listen(port, "127.0.0.1", () => {
    console.log("worker " + worker + " (pid " + process.pid + ") serving " + JSON.stringify(config.message) + " on 127.0.0.1:" + port);
  });
`;

/**
 * A probe run with `node -e PROBE_SOURCE <port> <requests> <wantWorkers> <deadlineMs> [expectMessage]`
 * inside the VM. It makes `requests` HTTP requests to 127.0.0.1, each on a fresh connection
 * so PM2's cluster round-robin spreads them, and retries until at least `wantWorkers`
 * distinct workers answered (with `expectMessage`, when given) or the deadline passes.
 * It prints one JSON line: `{ ok, attempts, waitedMs, responses, error? }`.
 *
 * @example
 * ```ts
 * import { PROBE_SOURCE } from "@vm/demo";
 * const argv = ["node", "-e", PROBE_SOURCE, "3000", "6", "2", "15000"];
 * console.log(argv.length); // 7
 * ```
 */
export const PROBE_SOURCE = `"use strict";
const http = require("node:http");
const [portText, requestsText, wantText, deadlineText, expectMessage] = process.argv.slice(1);
const port = Number(portText);
const requests = Number(requestsText);
const wantWorkers = Number(wantText);
const deadline = Date.now() + Number(deadlineText);
const started = Date.now();

function get() {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode, body: JSON.parse(body) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
  });
}

(async () => {
  let attempts = 0;
  let responses = [];
  let error = "";
  for (;;) {
    attempts += 1;
    try {
      responses = [];
      for (let i = 0; i < requests; i += 1) responses.push(await get());
      const workers = new Set(responses.map((r) => r.body.worker));
      const messagesOk = expectMessage === undefined || responses.every((r) => r.body.message === expectMessage);
      if (workers.size >= wantWorkers && messagesOk) {
        console.log(JSON.stringify({ ok: true, attempts, waitedMs: Date.now() - started, responses }));
        return;
      }
      error = "workers seen: " + workers.size + ", expected message seen: " + messagesOk;
    } catch (err) {
      error = String((err && err.message) || err);
    }
    if (Date.now() > deadline) {
      console.log(JSON.stringify({ ok: false, attempts, waitedMs: Date.now() - started, responses, error }));
      process.exitCode = 1;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
})();
`;
