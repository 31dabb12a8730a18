import { strict as assert } from "node:assert";
import { assertVMErrorCode, eventually, expectVMError } from "../assertions.js";
import type { ConformanceCase } from "../types.js";
import { assertHasMetadata, assertIsoDate, missingId } from "./util.js";

/**
 * Lifecycle cases: boot, get, list, stop, terminate, fork, TTL and NOT_FOUND handling.
 */
export const instanceCases: readonly ConformanceCase[] = [
  {
    id: "instances.boot-ready-exec",
    title: "boot resolves with a ready instance that runs a command",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const vm = await ctx.boot();
      assert.equal(typeof vm.id, "string");
      assert.ok(vm.id.length > 0, "instance id must be non-empty");
      assert.equal(vm.status, "ready", "boot() resolves once the instance is ready");
      assertIsoDate(vm.created_at, "created_at");
      assert.equal(typeof vm[Symbol.asyncDispose], "function", "a booted instance is AsyncDisposable");
      const fetched = await ctx.provider.instances.get(vm.id);
      assert.equal(fetched.id, vm.id);
      assert.equal(fetched.status, "ready");
      const result = await ctx.provider.instances.exec(vm.id, ["echo", "round trip"]);
      assert.deepEqual(result, { stdout: "round trip\n", stderr: "", exit_code: 0 });
    },
  },
  {
    id: "instances.get-fields",
    title: "get returns id, status, metadata and created_at of a booted instance",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const vm = await ctx.provider.instances.get(id);
      assert.equal(vm.id, id);
      assert.equal(vm.status, "ready");
      assertIsoDate(vm.created_at, "created_at");
      assertHasMetadata(vm, ctx.marker.metadata, "get()");
      if (vm.snapshot_id !== undefined) assert.equal(typeof vm.snapshot_id, "string");
    },
  },
  {
    id: "instances.list-filters",
    title: "list filters by metadata and by status (single and array)",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const tag = ctx.unique("list");
      const vm = await ctx.boot({ metadata: { "vmc-case": tag, "vmc-odd value": "spaces & 'quotes'" } });
      const { instances } = ctx.provider;
      const byTag = await instances.list({ metadata: { "vmc-case": tag } });
      assert.deepEqual(byTag.map((i) => i.id), [vm.id], "metadata filter returns exactly the matching instance");
      assertHasMetadata(byTag[0]!, { "vmc-case": tag, "vmc-odd value": "spaces & 'quotes'" }, "list()");
      assert.deepEqual(await instances.list({ metadata: { "vmc-case": `${tag}-other` } }), [], "no instance matches another value");
      assert.deepEqual(await instances.list({ metadata: { "vmc-case": tag, "vmc-odd value": "different" } }), [], "every filter key must match");
      assert.deepEqual((await instances.list({ metadata: { "vmc-case": tag }, status: "ready" })).map((i) => i.id), [vm.id]);
      assert.deepEqual((await instances.list({ metadata: { "vmc-case": tag }, status: ["stopped", "ready"] })).map((i) => i.id), [vm.id]);
      assert.deepEqual(await instances.list({ metadata: { "vmc-case": tag }, status: "stopped" }), [], "status filter excludes ready instances");
      const all = await instances.list();
      assert.ok(all.some((i) => i.id === vm.id), "list() without filters includes the instance");
    },
  },
  {
    id: "instances.list-filters-prototype-keys",
    title: "metadata filters with keys __proto__, constructor, toString, hasOwnProperty return exactly the instances carrying them",
    level: "MUST",
    needs: [],
    async run(ctx) {
      // Keys that exist on Object.prototype: a filter on one must match the key in the metadata
      // itself, never the prototype, and must never be dropped (an ignored filter would return
      // everything, and a caller may terminate whatever a filter returns).
      const tag = ctx.unique("proto");
      const keys = ["__proto__", "constructor", "toString", "hasOwnProperty"];
      // Parsed from JSON so "__proto__" is an own key (an object literal would set the prototype).
      const own = (entries: [string, string][]) => JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, string>;
      const [carrier, plain] = await Promise.all([
        ctx.boot({ metadata: own([["vmc-case", tag], ...keys.map((k): [string, string] => [k, tag])]) }),
        ctx.boot({ metadata: { "vmc-case": tag } }),
      ]);
      const { instances } = ctx.provider;
      const fetched = await instances.get(carrier.id);
      for (const key of keys) assert.ok(Object.hasOwn(fetched.metadata ?? {}, key) && fetched.metadata?.[key] === tag, `get() keeps the metadata key ${key}`);
      for (const key of keys) {
        const alone = await instances.list({ metadata: own([[key, tag]]) });
        assert.deepEqual(alone.map((i) => i.id), [carrier.id], `a filter on ${key} alone returns exactly the instance carrying it`);
        const both = await instances.list({ metadata: own([["vmc-case", tag], [key, tag]]) });
        assert.deepEqual(both.map((i) => i.id), [carrier.id], `a filter on vmc-case and ${key} excludes the instance without ${key}`);
        assert.deepEqual(await instances.list({ metadata: own([["vmc-case", tag], [key, `${tag}-other`]]) }), [], `another value of ${key} matches nothing`);
      }
      const byTag = (await instances.list({ metadata: { "vmc-case": tag } })).map((i) => i.id).sort();
      assert.deepEqual(byTag, [carrier.id, plain.id].sort(), "both instances carry vmc-case");
    },
  },
  {
    id: "instances.stop",
    title: "stop keeps the instance as stopped; list filters it by status",
    level: "MUST",
    needs: ["stop"],
    async run(ctx) {
      const tag = ctx.unique("stop");
      const vm = await ctx.boot({ metadata: { "vmc-case": tag } });
      await ctx.provider.instances.stop(vm.id);
      const stopped = await eventually("status stopped", async () => {
        const got = await ctx.provider.instances.get(vm.id);
        return got.status === "stopped" ? got : undefined;
      });
      assert.equal(stopped.id, vm.id);
      assertHasMetadata(stopped, { "vmc-case": tag }, "stopped instance");
      assert.deepEqual((await ctx.provider.instances.list({ metadata: { "vmc-case": tag }, status: "stopped" })).map((i) => i.id), [vm.id]);
      assert.deepEqual(await ctx.provider.instances.list({ metadata: { "vmc-case": tag }, status: "ready" }), []);
    },
  },
  {
    id: "instances.stop-twice",
    title: "stopping a stopped instance succeeds",
    level: "SHOULD",
    needs: ["stop"],
    async run(ctx) {
      const vm = await ctx.boot();
      await ctx.provider.instances.stop(vm.id);
      await ctx.provider.instances.stop(vm.id);
      assert.equal((await ctx.provider.instances.get(vm.id)).status, "stopped");
    },
  },
  {
    id: "instances.terminate",
    title: "terminate removes the instance: get is NOT_FOUND, list omits it",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const tag = ctx.unique("term");
      const vm = await ctx.boot({ metadata: { "vmc-case": tag } });
      await ctx.provider.instances.terminate(vm.id);
      await expectVMError(() => ctx.provider.instances.get(vm.id), "NOT_FOUND");
      assert.deepEqual(await ctx.provider.instances.list({ metadata: { "vmc-case": tag } }), []);
      await expectVMError(() => ctx.provider.instances.exec(vm.id, ["true"]), "NOT_FOUND");
    },
  },
  {
    id: "instances.terminate-stopped",
    title: "terminate removes a stopped instance",
    level: "MUST",
    needs: ["stop"],
    async run(ctx) {
      const vm = await ctx.boot();
      await ctx.provider.instances.stop(vm.id);
      await ctx.provider.instances.terminate(vm.id);
      await expectVMError(() => ctx.provider.instances.get(vm.id), "NOT_FOUND");
    },
  },
  {
    id: "instances.async-dispose",
    title: "await using terminates the instance at the end of the scope",
    level: "MUST",
    needs: [],
    async run(ctx) {
      let id = "";
      {
        await using vm = await ctx.boot();
        id = vm.id;
        assert.equal((await ctx.provider.instances.exec(vm.id, ["true"])).exit_code, 0);
      }
      await expectVMError(() => ctx.provider.instances.get(id), "NOT_FOUND");
    },
  },
  {
    id: "instances.not-found",
    title: "every id-taking instance method rejects an unknown id with NOT_FOUND",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = missingId("instance");
      const { instances } = ctx.provider;
      await expectVMError(() => instances.get(id), "NOT_FOUND");
      await expectVMError(() => instances.stop(id), "NOT_FOUND", ...(ctx.capabilities.stop ? [] : (["UNSUPPORTED"] as const)));
      await expectVMError(() => instances.terminate(id), "NOT_FOUND");
      await expectVMError(() => instances.exec(id, ["true"]), "NOT_FOUND");
      if (ctx.capabilities.fork) await expectVMError(() => instances.fork(id, 1), "NOT_FOUND");
      if (ctx.capabilities.execStream) {
        await expectVMError(async () => {
          for await (const _chunk of instances.execStream(id, ["true"])) void _chunk;
        }, "NOT_FOUND");
      }
    },
  },
  {
    id: "instances.boot-unknown-snapshot",
    title: "boot from an unknown snapshot is NOT_FOUND and leaves nothing behind",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const tag = ctx.unique("boot404");
      await expectVMError(
        () => ctx.provider.instances.boot(missingId("snapshot"), { metadata: { ...ctx.marker.metadata, "vmc-case": tag } }),
        "NOT_FOUND",
      );
      assert.deepEqual(await ctx.provider.instances.list({ metadata: { "vmc-case": tag } }), []);
    },
  },
  {
    id: "instances.boot-invalid",
    title: "boot rejects bad options with INVALID_ARGUMENT before doing any work",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const tag = ctx.unique("bootbad");
      const metadata = { ...ctx.marker.metadata, "vmc-case": tag };
      const { instances } = ctx.provider;
      await expectVMError(() => instances.boot("", { metadata }), "INVALID_ARGUMENT");
      await expectVMError(() => instances.boot(ctx.snapshotId, { metadata: { ...metadata, "": "empty key" } }), "INVALID_ARGUMENT");
      await expectVMError(() => instances.boot(ctx.snapshotId, { metadata: { ...metadata, bad: 42 as unknown as string } }), "INVALID_ARGUMENT");
      const ttlCodes = ctx.capabilities.ttl ? (["INVALID_ARGUMENT"] as const) : (["INVALID_ARGUMENT", "UNSUPPORTED"] as const);
      await expectVMError(() => instances.boot(ctx.snapshotId, { metadata, ttl_seconds: -5 }), ...ttlCodes);
      await expectVMError(() => instances.boot(ctx.snapshotId, { metadata, ttl_seconds: 1.5 }), ...ttlCodes);
      await expectVMError(
        () => instances.boot(ctx.snapshotId, { metadata, ttl_seconds: 60, ttl_action: "explode" as "stop" }),
        ...ttlCodes,
      );
      assert.deepEqual(await instances.list({ metadata: { "vmc-case": tag } }), [], "a rejected boot leaves no instance");
    },
  },
  {
    id: "instances.boot-aborted",
    title: "boot with an aborted signal rejects with ABORTED and leaves nothing behind",
    level: "SHOULD",
    needs: [],
    async run(ctx) {
      const tag = ctx.unique("bootabort");
      const controller = new AbortController();
      controller.abort();
      await expectVMError(
        () => ctx.provider.instances.boot(ctx.snapshotId, { metadata: { ...ctx.marker.metadata, "vmc-case": tag }, signal: controller.signal }),
        "ABORTED",
      );
      await eventually("no instance left by the aborted boot", async () =>
        (await ctx.provider.instances.list({ metadata: { "vmc-case": tag } })).length === 0 ? true : undefined,
      );
    },
  },
  {
    id: "instances.ttl-stop",
    title: "ttl_action stop stops the instance after ttl_seconds with no client call",
    level: "MUST",
    needs: ["ttl", "stop"],
    timeoutMs: 120_000,
    async run(ctx) {
      const vm = await ctx.boot({ ttl_seconds: 3, ttl_action: "stop" });
      assert.deepEqual(vm.ttl, { seconds: 3, action: "stop" }, "the instance reports its TTL");
      await eventually(
        "TTL stop",
        async () => ((await ctx.provider.instances.get(vm.id)).status === "stopped" ? true : undefined),
        { timeoutMs: 90_000, intervalMs: 500 },
      );
    },
  },
  {
    id: "instances.ttl-terminate",
    title: "ttl_action terminate removes the instance after ttl_seconds",
    level: "MUST",
    needs: ["ttl"],
    timeoutMs: 120_000,
    async run(ctx) {
      const vm = await ctx.boot({ ttl_seconds: 3, ttl_action: "terminate" });
      assert.deepEqual(vm.ttl, { seconds: 3, action: "terminate" }, "the instance reports its TTL");
      await eventually(
        "TTL terminate",
        async () => {
          try {
            await ctx.provider.instances.get(vm.id);
            return undefined;
          } catch (err) {
            assertVMErrorCode(err, "NOT_FOUND");
            return true;
          }
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
    },
  },
  {
    id: "instances.fork",
    title: "fork(count) makes independent ready children that hold the parent's files",
    level: "MUST",
    needs: ["fork"],
    timeoutMs: 180_000,
    async run(ctx) {
      const parent = await ctx.boot();
      const dir = await ctx.scratchDir(parent.id);
      await ctx.provider.files.writeFile(parent.id, `${dir}/from-parent.txt`, "parent content\n");
      const children = await ctx.fork(parent.id, 2);
      assert.equal(children.length, 2, "fork(2) returns two instances");
      const ids = new Set([parent.id, ...children.map((c) => c.id)]);
      assert.equal(ids.size, 3, "children have their own ids");
      for (const child of children) {
        assert.equal(child.status, "ready");
        assert.equal(await ctx.provider.files.readFile(child.id, `${dir}/from-parent.txt`), "parent content\n");
      }
      const [a, b] = children as [(typeof children)[0], (typeof children)[0]];
      await ctx.provider.files.writeFile(a.id, `${dir}/only-a.txt`, "a");
      await ctx.provider.files.writeFile(b.id, `${dir}/from-parent.txt`, "changed in b");
      assert.equal(await ctx.provider.files.fileExists(b.id, `${dir}/only-a.txt`), false, "a write in one child is not in its sibling");
      assert.equal(await ctx.provider.files.fileExists(parent.id, `${dir}/only-a.txt`), false, "a write in a child is not in the parent");
      assert.equal(await ctx.provider.files.readFile(a.id, `${dir}/from-parent.txt`), "parent content\n");
      assert.equal(await ctx.provider.files.readFile(parent.id, `${dir}/from-parent.txt`), "parent content\n");
      await ctx.provider.instances.terminate(a.id);
      assert.equal((await ctx.provider.instances.exec(b.id, ["true"])).exit_code, 0, "terminating one child leaves the other running");
      assert.equal((await ctx.provider.instances.get(parent.id)).status, "ready", "the parent is still ready");
    },
  },
  {
    id: "instances.fork-invalid-count",
    title: "fork rejects a count that is not a positive whole number",
    level: "MUST",
    needs: ["fork"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const before = (await ctx.provider.instances.list({ metadata: { "vm-conformance-run": ctx.marker.run } })).length;
      for (const count of [0, -1, 1.5, Number.NaN]) {
        await expectVMError(() => ctx.fork(id, count), "INVALID_ARGUMENT");
      }
      const after = (await ctx.provider.instances.list({ metadata: { "vm-conformance-run": ctx.marker.run } })).length;
      assert.equal(after, before, "a rejected fork creates no instance");
    },
  },
];
