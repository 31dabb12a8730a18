// Reaching the VM on Docker, attacked from outside: what is left in the container after an
// unexpose, after the exposing (or log-following) client is killed, and after the container is
// removed behind the provider's back; a paused instance's connections, files and stop.
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import type { ReadableStreamDefaultReader } from "node:stream/web";
import type { BootedInstance } from "@vm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseImage, createTestProvider, waitFor } from "./helpers.js";

const { provider, docker, cleanup } = createTestProvider();
let vm: BootedInstance;

// A server that answers every request with "ok", and streams "tick" forever on /forever.
const SERVER = `require("http").createServer((q, r) => {
  if (q.url === "/forever") { r.write("start\\n"); const t = setInterval(() => r.write("tick\\n"), 50); r.on("close", () => clearInterval(t)); return; }
  r.end("ok");
}).listen(Number(process.argv[2]), "127.0.0.1", () => require("fs").writeFileSync(process.argv[3], "up"));`;

async function startServer(id: string, port: number): Promise<void> {
  await provider.files.writeFile(id, "/tmp/server.js", SERVER);
  const started = await provider.instances.exec(id, [
    "bash",
    "-c",
    'nohup node /tmp/server.js "$1" "/tmp/up-$1" >/dev/null 2>&1 & for _ in $(seq 200); do [ -s "/tmp/up-$1" ] && exit 0; sleep 0.05; done; exit 1',
    "bash",
    String(port),
  ]);
  expect(started.exit_code).toBe(0);
}

/** How many tunnel processes (`bash -c <tunnel> vm-tunnel <port>`: argv[3] is "vm-tunnel") run in the container. */
async function tunnels(id: string): Promise<number> {
  const { stdout } = await provider.instances.exec(id, [
    "bash",
    "-c",
    'n=0; for f in /proc/[0-9]*/cmdline; do mapfile -t -d "" a < "$f" 2>/dev/null || continue; [ "${a[3]-}" = vm-tunnel ] && n=$((n+1)); done; echo "$n"',
  ]);
  return Number(stdout.trim());
}

/** Opens /forever through `url` and resolves once "start" arrived; returns the response's reader. */
async function openForever(url: string): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const res = await fetch(new URL("forever", url), { signal: AbortSignal.timeout(60_000) });
  const reader = res.body!.getReader() as unknown as ReadableStreamDefaultReader<Uint8Array>;
  let text = "";
  while (!text.includes("start")) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error("the stream ended before it started");
    text += new TextDecoder().decode(chunk.value);
  }
  return reader;
}

function refused(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), "127.0.0.1");
    socket.on("connect", () => (socket.destroy(), resolve(false)));
    socket.on("error", () => resolve(true));
  });
}

/**
 * Runs `body` (ESM, with `p`, a Docker provider from this package's build, and the instance id
 * as `process.argv[1]`) in a child process, and resolves once its stdout says `ready`.
 */
async function clientProcess(body: string, ready: string): Promise<ReturnType<typeof spawn>> {
  const dist = join(import.meta.dirname, "..", "dist", "index.js");
  const child = spawn(process.execPath, ["--input-type=module", "-e", `import { createDockerVMProvider } from ${JSON.stringify(dist)};\nconst p = createDockerVMProvider();\n${body}`, vm.id], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes(ready) && resolve());
    child.on("exit", (code) => reject(new Error(`the child exited early (${code})`)));
  });
  return child;
}

beforeAll(async () => {
  vm = await provider.instances.boot(baseImage(), { metadata: { suite: "expose" } });
  await startServer(vm.id, 8080);
}, 120_000);
afterAll(async () => {
  await cleanup();
});

describe("expose on Docker", () => {
  it("unexpose ends open connections and leaves no tunnel process in the container", async () => {
    const service = await provider.instances.expose(vm.id, 8080, { name: "web" });
    const readers = await Promise.all([openForever(service.url), openForever(service.url)]);
    try {
      expect(await tunnels(vm.id)).toBe(2);
      await provider.instances.unexpose(vm.id, "web");
      for (const reader of readers) await expect((async () => { for (;;) if ((await reader.read()).done) return "ended"; })().catch(() => "ended")).resolves.toBe("ended");
      await waitFor(async () => ((await tunnels(vm.id)) === 0 ? true : undefined), 20_000);
      expect(await refused(service.url)).toBe(true);
    } finally {
      for (const reader of readers) await reader.cancel().catch(() => undefined);
    }
  });

  it("a client that ends its side (FIN) on a kept-alive connection does not hold a tunnel", async () => {
    const service = await provider.instances.expose(vm.id, 8080, { name: "half-closed" });
    try {
      const { port } = new URL(service.url);
      // Raw sockets: each sends one request, gets its keep-alive answer, then ends its side.
      await Promise.all(
        Array.from({ length: 3 }, () =>
          new Promise<void>((resolve, reject) => {
            const socket = connect(Number(port), "127.0.0.1", () => socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            socket.once("data", () => {
              socket.end();
              resolve();
            });
            socket.on("error", reject);
          }),
        ),
      );
      expect(await tunnels(vm.id)).toBeGreaterThan(0);
      await waitFor(async () => ((await tunnels(vm.id)) === 0 ? true : undefined), 20_000);
    } finally {
      await provider.instances.unexpose(vm.id, "half-closed");
    }
  });

  it("a client killed while connections are open leaves no tunnel process behind", async () => {
    const child = await clientProcess(
      `const s = await p.instances.expose(process.argv[1], 8080, { name: "killed" });
       const r = await fetch(new URL("forever", s.url));
       await r.body.getReader().read();
       console.log("open");
       setInterval(() => {}, 1000);`,
      "open",
    );
    try {
      expect(await tunnels(vm.id)).toBe(1);
    } finally {
      child.kill("SIGKILL");
    }
    await waitFor(async () => ((await tunnels(vm.id)) === 0 ? true : undefined), 20_000);
  });

  it("an instance removed behind the provider's back: the next connection closes the listener", async () => {
    const other = await provider.instances.boot(baseImage(), { metadata: { suite: "expose-gone" } });
    await startServer(other.id, 8080);
    const service = await provider.instances.expose(other.id, 8080);
    expect(await (await fetch(service.url)).text()).toBe("ok");
    await docker.getContainer(other.id).remove({ force: true });
    await fetch(service.url, { headers: { connection: "close" } }).then(
      () => undefined,
      () => undefined,
    );
    await waitFor(async () => ((await refused(service.url)) ? true : undefined), 20_000);
  });

  it("a paused instance closes new connections at once; resume brings them back; stop of a paused instance stops it", async () => {
    const other = await provider.instances.boot(baseImage(), { metadata: { suite: "expose-paused" } });
    await startServer(other.id, 8080);
    const service = await provider.instances.expose(other.id, 8080);
    await provider.instances.pause(other.id);
    await expect(provider.files.readFile(other.id, "/etc/hostname")).rejects.toMatchObject({ code: "CONFLICT" });
    const refusedWhilePaused = await fetch(service.url, { signal: AbortSignal.timeout(20_000) }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    // Closed by the relay (the engine refuses an exec into a paused container), not timed out.
    expect(refusedWhilePaused?.name).toBe("TypeError");
    // Two resumes at once: the engine refuses the second ("is not paused"); both succeed.
    await Promise.all([provider.instances.resume(other.id), provider.instances.resume(other.id)]);
    expect(await (await fetch(service.url)).text()).toBe("ok");
    await provider.instances.pause(other.id);
    await provider.instances.stop(other.id);
    expect((await provider.instances.get(other.id)).status).toBe("stopped");
    expect(await refused(service.url)).toBe(true);
    await provider.instances.terminate(other.id);
  });

  it("a client killed while following logs leaves no tail behind (streamLogs holds the exec's stdin)", async () => {
    await provider.files.writeFile(vm.id, "/tmp/ticker.sh", "while :; do echo tick; sleep 0.1; done\n");
    await provider.processes.start(vm.id, "bash", { name: "ticker", script: "/tmp/ticker.sh" });
    const child = await clientProcess(`for await (const line of p.processes.streamLogs(process.argv[1], "ticker")) console.log("line", line.line);`, "line tick");
    const followers = async () => Number((await provider.instances.exec(vm.id, ["bash", "-c", 'n=0; for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = tail ] && n=$((n+1)); done; echo "$n"'])).stdout.trim());
    try {
      expect(await followers()).toBeGreaterThan(0);
    } finally {
      child.kill("SIGKILL");
    }
    await waitFor(async () => ((await followers()) === 0 ? true : undefined), 20_000);
    await provider.processes.delete(vm.id, "ticker");
  });
});
