// The @vm/conformance suite against the Docker provider on the real engine.
import Dockerode from "dockerode";
import { inject } from "vitest";
import { describeProviderConformance, MARKER_KEYS } from "@vm/conformance";
import { ensureImage } from "@vm/conformance/containers";
import { createDockerVMProvider, DOCKER_CAPABILITIES, DOCKER_LABELS } from "@vm/provider-docker";

declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
  }
}

const docker = new Dockerode();

describeProviderConformance({
  name: "docker",
  capabilities: DOCKER_CAPABILITIES,
  async setup(marker) {
    const image = await ensureImage(inject("baseImage"));
    const provider = createDockerVMProvider({ docker });
    const snapshot = await provider.snapshots.fromImage(image, { metadata: { ...marker.metadata } });
    return { provider, snapshotId: snapshot.id, imageId: image };
  },
  // Engine-level leak check: containers and images carrying this run's marker, including any
  // the provider's own list() would not show (e.g. half-created ones).
  async leftovers(_provider, marker) {
    const label = `${DOCKER_LABELS.metaPrefix}${MARKER_KEYS.run}=${marker.run}`;
    const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
    const images = await docker.listImages({ filters: { label: [label] } });
    return [...containers.map((c) => `container ${c.Id.slice(0, 12)} (${c.State})`), ...images.map((i) => `image ${i.Id.slice(7, 19)}`)];
  },
});
