import { strict as assert } from "node:assert";
import type { ExposedService } from "@vm/core";
import { eventually, expectVMError } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";
import { fetchWithin, readUntil, startService } from "./reach-server.js";
import { missingId } from "./util.js";

/** Exposes `port` under a unique name and removes it after the case. */
async function exposed(ctx: CaseContext, id: string, port: number): Promise<ExposedService> {
  const name = ctx.unique("vmc-web").toLowerCase().replace(/[^a-z0-9_-]/g, "-");
  const service = await ctx.provider.instances.expose(id, port, { name });
  ctx.track.add(`exposed ${name}`, async () => {
    await ctx.provider.instances.unexpose(id, name).catch(() => undefined);
  });
  return service;
}

/** The reach cases' service running on the shared instance, exposed under a unique name. */
async function sharedService(ctx: CaseContext): Promise<{ id: string; pid: number; dir: string; service: ExposedService }> {
  const id = await ctx.sharedInstance();
  const { port, pid, dir } = await startService(ctx, id);
  return { id, pid, dir, service: await exposed(ctx, id, port) };
}

/** The body ends (or fails) within `timeoutMs`: the route is closed. */
async function ends(reader: ReadableStreamDefaultReader<Uint8Array>, what: string, timeoutMs = 20_000): Promise<void> {
  const timer = new Promise<"open">((resolve) => setTimeout(() => resolve("open"), timeoutMs).unref());
  const drained = (async () => {
    try {
      for (;;) if ((await reader.read()).done) return "ended" as const;
    } catch {
      return "ended" as const;
    }
  })();
  assert.equal(await Promise.race([drained, timer]), "ended", `${what}: an open connection through the URL still flows ${timeoutMs} ms later`);
}

/** A new request through the URL no longer reaches the service. */
async function refused(url: string, what: string): Promise<void> {
  await eventually(`${what}: the URL stops reaching the service`, async () => {
    try {
      const res = await fetchWithin(new URL("hello", url), {}, 10_000);
      const body = await res.text();
      return res.ok && body.startsWith("hello") ? undefined : true;
    } catch {
      return true;
    }
  }, { timeoutMs: 20_000, intervalMs: 250 });
}

/**
 * Exposed ports (`instances.expose`): HTTP, streamed answers, concurrent connections and
 * WebSocket reach a service inside the instance from this machine; unexpose and terminate
 * close the route.
 */
export const reachCases: readonly ConformanceCase[] = [
  {
    id: "expose.http",
    title: "an exposed port answers HTTP from the host; get() lists the service; a body posted comes back whole",
    level: "MUST",
    needs: ["expose"],
    async run(ctx) {
      const { id, pid, service } = await sharedService(ctx);
      assert.ok(service.port >= 20_000 && service.port < 40_000, "the port asked for");
      assert.equal(service.auth, "none", "auth defaults to none");
      assert.match(service.url, /^https?:\/\/.+\/$/, "the URL is http(s) and ends with /");
      const res = await fetchWithin(new URL("hello", service.url));
      assert.equal(res.status, 200);
      assert.equal(await res.text(), `hello ${pid}`, "the answer is the service's own");
      const body = "x".repeat(200_000) + "é";
      const echo = await fetchWithin(new URL("echo", service.url), { method: "POST", body });
      assert.equal(await echo.text(), body, "a 200 kB body goes there and back unchanged");
      const listed = (await ctx.provider.instances.get(id)).services ?? [];
      assert.deepEqual(listed.find((s) => s.name === service.name), service, "get() lists the exposed service as expose() returned it");
    },
  },
  {
    id: "expose.streamed-and-concurrent",
    title: "a streamed answer arrives in order and as it is written; two connections are served at the same time",
    level: "MUST",
    needs: ["expose"],
    async run(ctx) {
      const { id, dir, service } = await sharedService(ctx);
      const whole = await (await fetchWithin(new URL("stream", service.url))).text();
      assert.equal(whole, Array.from({ length: 50 }, (_, i) => `chunk ${i}\n`).join(""), "50 chunks, all there, in order");
      // The second half is only written once the first has reached this side: a route that
      // buffers whole answers never shows "first", and the case times out.
      const gate = `${dir}/gate`;
      const gated = await fetchWithin(new URL(`gated?file=${encodeURIComponent(gate)}`, service.url));
      const reader = gated.body!.getReader();
      const first = await readUntil(reader, "first\n");
      assert.equal(first, "first\n");
      await ctx.provider.files.writeFile(id, gate, "");
      assert.equal((await readUntil(reader, "second\n")).trim(), "second");
      // Each /pair answer waits for the other request: served one after the other, neither ends.
      const both = await Promise.all([0, 1].map(async () => (await fetchWithin(new URL("pair", service.url))).text()));
      assert.deepEqual(both, ["paired", "paired"], "two requests in flight at once both reach the service");
    },
  },
  {
    id: "expose.websocket",
    title: "a WebSocket through the exposed URL echoes text and binary messages in order",
    level: "MUST",
    needs: ["expose"],
    async run(ctx) {
      const { service } = await sharedService(ctx);
      const ws = new WebSocket(new URL("ws", service.url.replace(/^http/, "ws")));
      ws.binaryType = "arraybuffer";
      const received: string[] = [];
      let wake = () => {};
      ws.onmessage = (event: MessageEvent) => {
        received.push(typeof event.data === "string" ? event.data : `bytes:${Buffer.from(event.data as ArrayBuffer).toString("hex")}`);
        wake();
      };
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("the WebSocket did not open within 20 s")), 20_000);
          ws.onopen = () => (clearTimeout(timer), resolve());
          ws.onerror = () => (clearTimeout(timer), reject(new Error("the WebSocket failed to open")));
        });
        const sent = ["one", "two ✓", "x".repeat(300)];
        for (const message of sent) ws.send(message);
        ws.send(new Uint8Array([0, 255, 10]));
        const deadline = Date.now() + 20_000;
        while (received.length < 4 && Date.now() < deadline) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, 250)));
        assert.deepEqual(received, [...sent, "bytes:00ff0a"]);
      } finally {
        ws.close();
      }
    },
  },
  {
    id: "expose.unexpose-closes",
    title: "unexpose ends the open connections, the URL stops reaching the service and get() no longer lists it; an unknown name is NOT_FOUND",
    level: "MUST",
    needs: ["expose"],
    async run(ctx) {
      const { id, service } = await sharedService(ctx);
      const open = (await fetchWithin(new URL("forever", service.url), {}, 60_000)).body!.getReader();
      assert.equal(await readUntil(open, "start\n"), "start\n");
      await ctx.provider.instances.unexpose(id, service.name);
      await ends(open, "unexpose");
      await refused(service.url, "unexpose");
      assert.ok(!((await ctx.provider.instances.get(id)).services ?? []).some((s) => s.name === service.name), "get() no longer lists it");
      await expectVMError(() => ctx.provider.instances.unexpose(id, service.name), "NOT_FOUND");
      await expectVMError(() => ctx.provider.instances.unexpose(missingId("instance"), "web"), "NOT_FOUND");
    },
  },
  {
    id: "expose.terminate-closes",
    title: "terminating the instance ends connections through its URL and nothing answers there afterwards",
    level: "MUST",
    needs: ["expose"],
    async run(ctx) {
      const vm = await ctx.boot();
      const { port } = await startService(ctx, vm.id);
      const service = await ctx.provider.instances.expose(vm.id, port, { name: "vmc-end" });
      const open = (await fetchWithin(new URL("forever", service.url), {}, 60_000)).body!.getReader();
      assert.equal(await readUntil(open, "start\n"), "start\n");
      await ctx.provider.instances.terminate(vm.id);
      await ends(open, "terminate");
      await refused(service.url, "terminate");
    },
  },
  {
    id: "expose.invalid",
    title: "a port outside 1-65535, a bad name or auth is INVALID_ARGUMENT and exposes nothing; an unknown instance is NOT_FOUND",
    level: "MUST",
    needs: ["expose"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const { instances } = ctx.provider;
      for (const port of [0, 65_536, -1, 80.5]) await expectVMError(() => instances.expose(id, port), "INVALID_ARGUMENT");
      for (const name of ["", "Web", "-web", "web-", "a".repeat(41), "we b", "../x"]) await expectVMError(() => instances.expose(id, 8080, { name }), "INVALID_ARGUMENT");
      await expectVMError(() => instances.expose(id, 8080, { auth: "basic" as never }), "INVALID_ARGUMENT");
      assert.ok(!((await instances.get(id)).services ?? []).some((s) => s.port === 8080), "nothing was exposed");
      await expectVMError(() => instances.expose(missingId("instance"), 8080), "NOT_FOUND");
    },
  },
];
