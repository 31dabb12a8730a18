import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DOCKER_LABELS, baseImage, createTestProvider } from "./helpers.js";

const packageDir = join(import.meta.dirname, "..");
const { docker, provider, cleanup } = createTestProvider();
// Every copy of the example tags what it makes with this run's metadata value instead of "readme",
// so the cleanup below finds exactly this run's leftovers and nothing of another run's.
const app = `readme-${process.pid}-${Date.now()}`;
const appLabel = `${DOCKER_LABELS.metaPrefix}app=${app}`;

// The example cleans up after itself; if it failed half-way, remove what it made: the instances
// first, then the snapshots.
afterAll(async () => {
  await cleanup();
  const containers = await docker.listContainers({ all: true, filters: { label: [appLabel] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const images = await docker.listImages({ filters: { label: [appLabel] } });
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) await docker.getImage(tag).remove().catch(() => undefined);
  }
});

describe("README", () => {
  it("runs its first example against the real engine, two copies at once", async () => {
    const readme = await readFile(join(packageDir, "README.md"), "utf8");
    const example = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    expect(example).toContain('app: "readme"');
    // Two users running the quick start on one engine must not collide (a fixed digest made the
    // second copy share the first one's snapshot: one copy's delete then failed CONFLICT).
    const runCopy = async (copy: number) => {
      // Inside the package directory, "@vm/provider-docker" resolves to this package's dist
      // (self-reference), exactly as a user's import would. Plain JavaScript: `.mjs`.
      const file = join(packageDir, `.readme-example-${process.pid}-${copy}.mjs`);
      await writeFile(file, example!.replaceAll('app: "readme"', `app: ${JSON.stringify(app)}`));
      try {
        const { stdout } = await promisify(execFile)(process.execPath, [file], {
          cwd: packageDir,
          env: { ...process.env, VM_BASE_IMAGE: baseImage() },
          timeout: 180_000,
        });
        return stdout;
      } finally {
        await rm(file, { force: true });
      }
    };
    // Another copy mid-run, made deterministic: for any fixed digest in the example, a snapshot
    // with that digest already exists and an instance runs on it. A copy that reuses it would
    // fail deleting it (CONFLICT); a copy with its own snapshot never touches it.
    for (const [, digest] of example!.matchAll(/digest:\s*"([^"]+)"/g)) {
      const held = await provider.snapshots.fromImage(baseImage(), { digest: digest! });
      await provider.instances.boot(held.id);
    }
    const outputs = await Promise.all([runCopy(1), runCopy(2)]);
    for (const stdout of outputs) expect(stdout).toBe('Hello World 0\n{"port":3000}\none\ntwo\nexit 0\n');
  });
});
