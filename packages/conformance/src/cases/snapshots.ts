import { strict as assert } from "node:assert";
import { eventually, expectVMError } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";
import { assertIsoDate, missingId } from "./util.js";

async function ready(ctx: CaseContext, snapshotId: string): Promise<void> {
  await eventually(`snapshot ${snapshotId} ready`, async () => {
    const snapshot = await ctx.provider.snapshots.get(snapshotId);
    assert.notEqual(snapshot.status, "error", "snapshot went to error");
    return snapshot.status === "ready" ? true : undefined;
  }, { timeoutMs: 120_000, intervalMs: 500 });
}

/**
 * Snapshot and image cases: get, list filters, create-and-restore, digest idempotency,
 * delete (and CONFLICT while in use), fromImage, images.
 */
export const snapshotCases: readonly ConformanceCase[] = [
  {
    id: "snapshots.get",
    title: "get returns the target's snapshot as ready",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const snapshot = await ctx.provider.snapshots.get(ctx.snapshotId);
      assert.equal(snapshot.id, ctx.snapshotId);
      assert.equal(snapshot.status, "ready");
      assertIsoDate(snapshot.created_at, "created_at");
    },
  },
  {
    id: "snapshots.not-found",
    title: "get and delete of an unknown snapshot are NOT_FOUND",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = missingId("snapshot");
      await expectVMError(() => ctx.provider.snapshots.get(id), "NOT_FOUND");
      if (ctx.capabilities.snapshots) await expectVMError(() => ctx.provider.snapshots.delete(id), "NOT_FOUND");
      if (ctx.capabilities.snapshots) await expectVMError(() => ctx.provider.snapshots.create(missingId("instance")), "NOT_FOUND");
    },
  },
  {
    id: "snapshots.create-restores-files",
    title: "a snapshot taken after a file is written boots instances that have that file",
    level: "MUST",
    needs: ["snapshots"],
    timeoutMs: 180_000,
    async run(ctx) {
      const source = await ctx.boot();
      const dir = await ctx.scratchDir(source.id);
      const bytes = new Uint8Array(4096).map((_, i) => (i * 13) % 256);
      await ctx.provider.files.writeFile(source.id, `${dir}/state.bin`, bytes);
      await ctx.provider.files.writeFileAtomic(source.id, `${dir}/conf/app.json`, "{}", { createDirs: true, mode: "600" });
      const snapshot = await ctx.createSnapshot(source.id, { metadata: { "vmc-case": ctx.unique("restore") } });
      assert.equal(typeof snapshot.id, "string");
      assertIsoDate(snapshot.created_at, "created_at");
      await ready(ctx, snapshot.id);
      await ctx.provider.files.writeFile(source.id, `${dir}/after.txt`, "written after the snapshot");
      const restored = await ctx.provider.instances.boot(snapshot.id, { metadata: { ...ctx.marker.metadata } });
      ctx.track.instance(restored.id);
      assert.equal(restored.status, "ready");
      assert.deepEqual(Buffer.from(await ctx.provider.files.readFileBytes(restored.id, `${dir}/state.bin`)), Buffer.from(bytes));
      assert.equal(await ctx.provider.files.readFile(restored.id, `${dir}/conf/app.json`), "{}");
      const mode = await ctx.provider.instances.exec(restored.id, ["stat", "-c", "%a", `${dir}/conf/app.json`]);
      assert.equal(mode.stdout, "600\n", "file modes survive the snapshot");
      assert.equal(await ctx.provider.files.fileExists(restored.id, `${dir}/after.txt`), false, "later writes are not in the snapshot");
      if (restored.snapshot_id !== undefined) assert.equal(restored.snapshot_id, snapshot.id);
    },
  },
  {
    id: "snapshots.list-filters",
    title: "list filters snapshots by metadata and by digest",
    level: "MUST",
    needs: ["snapshots"],
    timeoutMs: 180_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const tag = ctx.unique("snaplist");
      const digest = ctx.unique("digest");
      const snapshot = await ctx.createSnapshot(id, { metadata: { "vmc-case": tag, "vmc-kind": "list" }, digest });
      assert.equal(snapshot.metadata?.["vmc-case"], tag, "the snapshot carries its metadata");
      assert.equal(snapshot.digest, digest, "the snapshot carries its digest");
      const { snapshots } = ctx.provider;
      assert.deepEqual((await snapshots.list({ metadata: { "vmc-case": tag } })).map((s) => s.id), [snapshot.id]);
      assert.deepEqual((await snapshots.list({ metadata: { "vmc-case": tag, "vmc-kind": "list" } })).map((s) => s.id), [snapshot.id]);
      assert.deepEqual(await snapshots.list({ metadata: { "vmc-case": tag, "vmc-kind": "other" } }), []);
      assert.deepEqual((await snapshots.list({ digest })).map((s) => s.id), [snapshot.id]);
      assert.deepEqual(await snapshots.list({ digest: `${digest}-other` }), []);
      assert.ok((await snapshots.list()).some((s) => s.id === snapshot.id), "list() without filters includes it");
    },
  },
  {
    id: "snapshots.digest-idempotent",
    title: "create with the same digest returns the same snapshot",
    level: "MUST",
    needs: ["snapshots"],
    timeoutMs: 180_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const digest = ctx.unique("same");
      const first = await ctx.createSnapshot(id, { digest });
      const second = await ctx.createSnapshot(id, { digest });
      assert.equal(second.id, first.id);
      assert.equal((await ctx.provider.snapshots.list({ digest })).length, 1);
    },
  },
  {
    id: "snapshots.delete",
    title: "delete removes a snapshot: get is NOT_FOUND and list omits it",
    level: "MUST",
    needs: ["snapshots"],
    timeoutMs: 180_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const tag = ctx.unique("snapdel");
      const snapshot = await ctx.createSnapshot(id, { metadata: { "vmc-case": tag } });
      await ready(ctx, snapshot.id);
      await ctx.provider.snapshots.delete(snapshot.id);
      await expectVMError(() => ctx.provider.snapshots.get(snapshot.id), "NOT_FOUND");
      assert.deepEqual(await ctx.provider.snapshots.list({ metadata: { "vmc-case": tag } }), []);
      await expectVMError(() => ctx.provider.instances.boot(snapshot.id, { metadata: { ...ctx.marker.metadata } }), "NOT_FOUND");
    },
  },
  {
    id: "snapshots.delete-in-use",
    title: "delete of a snapshot an instance uses is CONFLICT; after terminate it succeeds",
    level: "MUST",
    needs: ["snapshots"],
    timeoutMs: 180_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const snapshot = await ctx.createSnapshot(id);
      await ready(ctx, snapshot.id);
      const user = await ctx.provider.instances.boot(snapshot.id, { metadata: { ...ctx.marker.metadata } });
      ctx.track.instance(user.id);
      await expectVMError(() => ctx.provider.snapshots.delete(snapshot.id), "CONFLICT");
      assert.equal((await ctx.provider.snapshots.get(snapshot.id)).status, "ready", "the snapshot survives the refused delete");
      await ctx.provider.instances.terminate(user.id);
      await ctx.provider.snapshots.delete(snapshot.id);
      await expectVMError(() => ctx.provider.snapshots.get(snapshot.id), "NOT_FOUND");
    },
  },
  {
    id: "snapshots.from-image",
    title: "fromImage makes a bootable snapshot; an unknown image is NOT_FOUND",
    level: "MUST",
    needs: ["fromImage"],
    needsImageId: true,
    timeoutMs: 180_000,
    async run(ctx) {
      const tag = ctx.unique("fromimage");
      const snapshot = await ctx.fromImage(ctx.imageId!, { metadata: { "vmc-case": tag } });
      assert.equal(typeof snapshot.id, "string");
      await ready(ctx, snapshot.id);
      assert.deepEqual((await ctx.provider.snapshots.list({ metadata: { "vmc-case": tag } })).map((s) => s.id), [snapshot.id]);
      const vm = await ctx.provider.instances.boot(snapshot.id, { metadata: { ...ctx.marker.metadata } });
      ctx.track.instance(vm.id);
      assert.equal((await ctx.provider.instances.exec(vm.id, ["echo", "from image"])).stdout, "from image\n");
      await expectVMError(() => ctx.provider.snapshots.fromImage(missingId("image"), { metadata: { ...ctx.marker.metadata } }), "NOT_FOUND");
      await expectVMError(() => ctx.provider.snapshots.fromImage("", { metadata: { ...ctx.marker.metadata } }), "INVALID_ARGUMENT");
    },
  },
  {
    id: "snapshots.from-image-digest",
    title: "fromImage with the same digest returns the same snapshot",
    level: "SHOULD",
    needs: ["fromImage"],
    needsImageId: true,
    timeoutMs: 180_000,
    async run(ctx) {
      const digest = ctx.unique("imgdigest");
      const first = await ctx.fromImage(ctx.imageId!, { digest });
      const second = await ctx.fromImage(ctx.imageId!, { digest });
      assert.equal(second.id, first.id);
    },
  },
  {
    id: "images.list-get",
    title: "images.list returns images that images.get finds; an unknown id is NOT_FOUND",
    level: "MUST",
    needs: ["images"],
    async run(ctx) {
      const images = await ctx.provider.images.list();
      assert.ok(Array.isArray(images) && images.length > 0, "at least the base image is listed");
      for (const image of images.slice(0, 3)) {
        assert.equal(typeof image.id, "string");
        assert.equal(typeof image.name, "string");
        assertIsoDate(image.created_at, `image ${image.id} created_at`);
        const got = await ctx.provider.images.get(image.id);
        assert.equal(got.id, image.id);
        assert.equal(got.name, image.name);
      }
      await expectVMError(() => ctx.provider.images.get(missingId("image")), "NOT_FOUND");
    },
  },
];
