// What differs on Podman's Docker API, held on the real engine (scripts/podman-engine.sh): its
// `POST /commit` ignores the JSON body (labels go as `changes`), and its image list answers []
// to two `label` filters (one goes to the engine, the rest are checked here).
import Dockerode from "dockerode";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDockerVMProvider } from "../src/index.js";

const podman = new Dockerode({ socketPath: new URL(inject("podmanHost")).pathname });
const RUN = `podman-${process.pid}-${Date.now().toString(36)}`;
const provider = createDockerVMProvider({ docker: podman, labels: { "vm.test.podman-run": RUN } });

afterAll(async () => {
  for (const vm of await provider.instances.list()) await provider.instances.terminate(vm.id).catch(() => undefined);
  for (const snapshot of await provider.snapshots.list()) await provider.snapshots.delete(snapshot.id).catch(() => undefined);
  const filters = { label: [`vm.test.podman-run=${RUN}`] };
  expect([...(await podman.listContainers({ all: true, filters })), ...(await podman.listImages({ filters }))]).toEqual([]);
});

describe("the Docker provider on Podman", () => {
  it("keeps a snapshot's kind, metadata (any bytes Podman cannot put in a label too) and digest", async () => {
    const metadata = { plain: "v", "a b": "two\nlines", quote: 'say "hi"', eq: "a=b", back: "x\\ny", "k=v": "key with =", empty: "" };
    const digest = `podman-digest-${RUN}`;
    const snapshot = await provider.snapshots.fromImage(inject("baseImage"), { metadata, digest });
    expect(await provider.snapshots.get(snapshot.id)).toMatchObject({ id: snapshot.id, metadata, digest });
    // Two metadata filters and the digest: Podman alone would answer [] to that many labels.
    expect((await provider.snapshots.list({ metadata: { plain: "v", "a b": "two\nlines" } })).map((s) => s.id)).toEqual([snapshot.id]);
    expect((await provider.snapshots.list({ metadata: { plain: "other" } })).map((s) => s.id)).toEqual([]);
    expect((await provider.snapshots.list({ digest })).map((s) => s.id)).toEqual([snapshot.id]);
    // Digest idempotency: the second call finds the first snapshot.
    expect((await provider.snapshots.fromImage(inject("baseImage"), { metadata, digest })).id).toBe(snapshot.id);
  });

  it("makes a snapshot of an instance that is a snapshot, not a copy of the instance's labels", async () => {
    const base = (await provider.snapshots.list({ metadata: { plain: "v" } }))[0]!;
    await using vm = await provider.instances.boot(base.id, { metadata: { role: "instance" } });
    const saved = await provider.snapshots.create(vm.id, { metadata: { role: "saved" } });
    expect(await provider.snapshots.get(saved.id)).toMatchObject({ metadata: { role: "saved" } });
    expect((await provider.snapshots.list({ metadata: { role: "saved" } })).map((s) => s.id)).toEqual([saved.id]);
    expect((await provider.instances.list({ metadata: { role: "instance" } })).map((i) => i.id)).toEqual([vm.id]);
  });
});
