import { randomUUID } from "node:crypto";
import { EMULATOR_LABEL, createMorphEmulator, emulatorImages } from "@vm/morph-emulator";
import { createDockerVMProvider } from "@vm/provider-docker";
import Dockerode from "dockerode";
import { RUN_LABEL } from "./support.js";

/** One API request as the emulator logged it (`GET /_admin/requests`). */
export interface LoggedRequest {
  method: string;
  path: string;
  route: string;
  /** For an exec, once its body was read: `$0` of a `bash -c` script ("vm-exec", "vm-kill"), else argv[0]. */
  program?: string;
}

/**
 * The Morph emulator in this process, its instances real containers labelled with its own
 * session (and the reliability run label): its admin API (fault switch, request log), Docker
 * counts of what it made, and a `stop()` that removes everything, even after a failure. (The same as
 * packages/provider-morph/test/support/emulator.ts, without reaching into another package's tests.)
 */
export async function startMorphEmulator(images: { minimal: string; base: string }) {
  const apiKey = `reliability-${randomUUID()}`;
  const session = `reliability-${randomUUID()}`;
  const emulator = createMorphEmulator({
    apiKey,
    backend: createDockerVMProvider({ labels: { [EMULATOR_LABEL]: session, [RUN_LABEL]: session } }),
    images: emulatorImages(images),
  });
  await emulator.listen();
  const docker = new Dockerode();
  const filters = { label: [`${EMULATOR_LABEL}=${session}`] };
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };

  async function adminCall(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${emulator.url}/_admin/${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!response.ok) throw new Error(`emulator admin ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }

  return {
    apiUrl: emulator.apiUrl,
    apiKey,
    /** Queues faults (`POST /_admin/faults`). */
    faults: async (faults: Record<string, unknown>[]) => void (await adminCall("POST", "faults", { faults })),
    clearFaults: async () => void (await adminCall("DELETE", "faults")),
    /** Faults not used up yet. */
    pendingFaults: async () => ((await adminCall("GET", "faults")) as { faults: unknown[] }).faults,
    requests: async () => ((await adminCall("GET", "requests")) as { requests: LoggedRequest[] }).requests,
    clearRequests: async () => void (await adminCall("DELETE", "requests")),
    /** Containers (instances) and images (snapshots) this emulator has in Docker right now. */
    async dockerCounts(): Promise<{ containers: number; images: number }> {
      const [containers, images] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listImages({ filters })]);
      return { containers: containers.length, images: images.length };
    },
    async stop(): Promise<void> {
      try {
        await emulator.close();
      } finally {
        const containers = await docker.listContainers({ all: true, filters });
        await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
        for (const image of (await docker.listImages({ filters })).sort((a, b) => b.Created - a.Created)) {
          await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
        }
      }
    },
  };
}

/** What `startMorphEmulator` returns. */
export type ReliabilityEmulator = Awaited<ReturnType<typeof startMorphEmulator>>;
