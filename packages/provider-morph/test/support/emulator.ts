import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { EMULATOR_LABEL, createMorphEmulator, emulatorImages, type MorphEmulator, type RecordedExchange } from "@vm/morph-emulator";
import { createDockerVMProvider } from "@vm/provider-docker";
import { GenericContainer, PullPolicy, Wait, type StartedTestContainer } from "testcontainers";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
    minimalImage: string;
  }
}

/**
 * The emulator's Docker images: `morphvm-minimal` is the minimal image (no Node, no PM2, like
 * Morph Cloud's), `vm-base` the base image (Node and PM2).
 */
export interface TestImages {
  minimal: string;
  base: string;
}

/** The images the test setup provides. */
export function testImages(): TestImages {
  return { minimal: inject("minimalImage"), base: inject("baseImage") };
}

const run = promisify(execFile);

/** The repository root (bind-mounted at the same path into the emulator container). */
export const REPO_ROOT = join(import.meta.dirname, "../../../..");

/** The one API key the test emulators accept. */
export const TEST_API_KEY = `test-key-${Math.random().toString(36).slice(2)}`;

/** A running emulator for a test file. */
export interface TestEmulator {
  apiUrl: string;
  /** Origin for the admin endpoints (`/_admin/...`). */
  url: string;
  session: string;
  stop(): Promise<void>;
}

function session(): string {
  return `test-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Removes every container and image labelled with this emulator session (a safety net after stop). */
export async function sweepSession(value: string): Promise<string[]> {
  const filter = `label=${EMULATOR_LABEL}=${value}`;
  const left: string[] = [];
  const containers = (await run("docker", ["ps", "-aq", "--filter", filter])).stdout.split("\n").filter(Boolean);
  if (containers.length > 0) {
    left.push(...containers.map((c) => `container ${c}`));
    await run("docker", ["rm", "-f", ...containers]).catch(() => undefined);
  }
  const images = (await run("docker", ["images", "-q", "--filter", filter])).stdout.split("\n").filter(Boolean);
  if (images.length > 0) {
    left.push(...images.map((i) => `image ${i}`));
    await run("docker", ["rmi", "-f", ...new Set(images)]).catch(() => undefined);
  }
  return left;
}

/** Starts the emulator in this process (for tests of the emulator and the client). */
export async function startInProcessEmulator(images: TestImages = testImages(), onExchange?: (exchange: RecordedExchange) => void): Promise<TestEmulator & { emulator: MorphEmulator }> {
  const id = session();
  const emulator = createMorphEmulator({
    apiKey: TEST_API_KEY,
    backend: createDockerVMProvider({ labels: { [EMULATOR_LABEL]: id } }),
    images: emulatorImages(images),
    ...(onExchange ? { onExchange } : {}),
  });
  await emulator.listen();
  return {
    emulator,
    apiUrl: emulator.apiUrl,
    url: emulator.url,
    session: id,
    async stop() {
      try {
        await emulator.close();
      } finally {
        await sweepSession(id);
      }
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts the emulator as a container through testcontainers: the base image (it has Node),
 * serving the minimal image as `morphvm-minimal` and the base image as `vm-base`,
 * host networking (it listens on 127.0.0.1), the Docker socket mounted (its instances are
 * sibling containers), the repository mounted at the same absolute path so pnpm's
 * node_modules symlinks resolve, running the emulator's built dist. The wait strategy reads
 * the log: nothing here has mapped ports.
 */
export async function startEmulatorContainer(images: TestImages = testImages()): Promise<TestEmulator> {
  const baseImage = images.base;
  const id = session();
  const port = await freePort();
  let container: StartedTestContainer | undefined;
  try {
    container = await new GenericContainer(baseImage)
      .withPullPolicy(PullPolicy.neverPull())
      .withNetworkMode("host")
      .withLabels({ [EMULATOR_LABEL]: id, "morph-emulator.role": "server" })
      .withBindMounts([
        { source: "/var/run/docker.sock", target: "/var/run/docker.sock", mode: "rw" },
        { source: REPO_ROOT, target: REPO_ROOT, mode: "ro" },
      ])
      .withEnvironment({
        PORT: String(port),
        HOST: "127.0.0.1",
        MORPH_API_KEY: TEST_API_KEY,
        VM_BASE_IMAGE: images.base,
        VM_MINIMAL_IMAGE: images.minimal,
        MORPH_EMULATOR_SESSION: id,
      })
      .withWorkingDir(join(REPO_ROOT, "apps/morph-emulator"))
      .withCommand(["node", join(REPO_ROOT, "apps/morph-emulator/dist/main.js")])
      .withWaitStrategy(Wait.forLogMessage(/listening on/))
      .withStartupTimeout(60_000)
      .start();
  } catch (err) {
    await sweepSession(id);
    throw err;
  }
  const started = container;
  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    url: `http://127.0.0.1:${port}`,
    session: id,
    async stop() {
      try {
        // SIGTERM first: the emulator removes its instances and snapshots itself.
        await started.stop({ timeout: 60_000, remove: true });
      } finally {
        await sweepSession(id);
      }
    },
  };
}

/** Admin helpers for fault injection and request counting. */
export function admin(emulator: Pick<TestEmulator, "url">) {
  const headers = { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" };
  return {
    async faults(faults: Record<string, unknown>[]): Promise<void> {
      const response = await fetch(`${emulator.url}/_admin/faults`, { method: "POST", headers, body: JSON.stringify({ faults }) });
      if (!response.ok) throw new Error(`admin faults: HTTP ${response.status} ${await response.text()}`);
    },
    async clearFaults(): Promise<void> {
      await fetch(`${emulator.url}/_admin/faults`, { method: "DELETE", headers });
    },
    async requests(): Promise<{ method: string; path: string; route: string }[]> {
      const response = await fetch(`${emulator.url}/_admin/requests`, { headers });
      return ((await response.json()) as { requests: { method: string; path: string; route: string }[] }).requests;
    },
    async clearRequests(): Promise<void> {
      await fetch(`${emulator.url}/_admin/requests`, { method: "DELETE", headers });
    },
  };
}
