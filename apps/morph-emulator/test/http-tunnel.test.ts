import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MorphEmulator } from "../src/index.js";
import { PROXY_LIMITS } from "../src/services/http-proxy.js";
import { rawApi, removeLeftovers, startTestEmulator, waitFor } from "./support.js";

// Exposed services on the minimal image (no Node: the tunnel is bash and cat), attacked the way
// a hostile service would: an endless answer, and a client that stops reading.
const KEY = `emu-tunnel-${Math.random().toString(36).slice(2)}`;
const SESSION = `emu-tunnel-${process.pid}-${Date.now().toString(36)}`;
let emulator: MorphEmulator;
let id = "";

const raw = rawApi(() => emulator, KEY);
async function api(method: string, path: string, body?: unknown) {
  const answer = await raw(method, path, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as Record<string, unknown>;
}
const sh = async (line: string) => (await api("POST", `/instance/${id}/exec`, { command: [line] })) as { exit_code: number; stdout: string };
const tunnels = async () => Number((await sh("ps -eo args | grep -c '^bash -c .* vm-tunnel' || true")).stdout.trim());

beforeAll(async () => {
  emulator = await startTestEmulator(KEY, SESSION);
  const snapshot = await api("POST", "/snapshot", { image_id: "morphvm-minimal", metadata: {} });
  id = String((await api("POST", `/instance?snapshot_id=${String(snapshot.id)}`, {})).id);
  await waitFor("instance ready", async () => ((await api("GET", `/instance/${id}`)).status === "ready" ? true : undefined));
  expect((await sh("command -v node || echo none")).stdout).toBe("none\n");
  // perl-base is in every Debian: a server that answers every request with an endless body.
  const server = String.raw`perl -MIO::Socket::INET -e '$SIG{PIPE}="IGNORE"; $s=IO::Socket::INET->new(LocalAddr=>"127.0.0.1:8090",Listen=>5,ReuseAddr=>1) or die; while($c=$s->accept){<$c>; print $c "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"; while(print $c ("x" x 65536)){} close $c}'`;
  expect((await sh(`${server} > /dev/null 2>&1 &`)).exit_code).toBe(0);
  await api("POST", `/instance/${id}/http`, { name: "endless", port: 8090 });
}, 300_000);

afterAll(async () => {
  await emulator?.close();
  expect(await removeLeftovers(SESSION)).toEqual([]);
});

describe("a tunnelled service", () => {
  const url = () => `${emulator.url}/_services/${id}/endless/`;

  it("cuts an endless answer past the bound, and the tunnel goes away", async () => {
    const response = await waitFor("the service", async () => {
      const r = await fetch(url()).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    });
    let received = 0;
    const failed = await (async () => {
      for await (const chunk of response.body!) received += (chunk as Uint8Array).length;
    })().then(
      () => false,
      () => true,
    );
    expect(failed).toBe(true);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(PROXY_LIMITS.responseBytes + 1024 * 1024);
    // Well before the tunnel's own lifetime kill (35 s): the cut ends it.
    await waitFor("no tunnel left", async () => ((await tunnels()) === 0 ? true : undefined), 20_000);
  });

  it("lets a client that stops reading go, and the tunnel goes away with it", async () => {
    const controller = new AbortController();
    const response = await fetch(url(), { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    // The client stops reading, then leaves.
    controller.abort();
    // Well before the tunnel's own lifetime kill (35 s): it goes because its client went.
    await waitFor("no tunnel left", async () => ((await tunnels()) === 0 ? true : undefined), 20_000);
    // The service still answers the next client.
    expect((await fetch(url(), { method: "HEAD" })).status).toBe(200);
  });
});
