import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DOCKER_LABELS, baseImage, createTestProvider } from "./helpers.js";

const packageDir = join(import.meta.dirname, "..");
const { docker } = createTestProvider();
const digest = `readme-base-${process.pid}-${Date.now()}`;

// The example cleans up after itself; if it failed half-way, remove what it made by its
// unique digest (the snapshot) and what runs on that snapshot (the instance).
afterAll(async () => {
  const images = await docker.listImages({ filters: { label: [`${DOCKER_LABELS.digest}=${digest}`] } });
  for (const image of images) {
    const users = await docker.listContainers({ all: true, filters: { ancestor: [image.Id] } });
    await Promise.all(users.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    for (const tag of image.RepoTags ?? []) await docker.getImage(tag).remove().catch(() => undefined);
  }
});

describe("README", () => {
  it("runs its first example against the real engine", async () => {
    const readme = await readFile(join(packageDir, "README.md"), "utf8");
    const example = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    // Inside the package directory, "@vm/provider-docker" resolves to this package's dist
    // (self-reference), exactly as a user's import would. Node strips the (erasable) types.
    const file = join(packageDir, `.readme-example-${process.pid}.mts`);
    await writeFile(file, example!.replace('"readme-base"', JSON.stringify(digest)));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], {
        cwd: packageDir,
        env: { ...process.env, VM_BASE_IMAGE: baseImage() },
        timeout: 120_000,
      });
      expect(stdout).toBe('Hello World 0\n{"port":3000}\none\ntwo\nexit 0\n');
    } finally {
      await rm(file, { force: true });
    }
  });
});
