// The @vm/conformance suite against the Docker provider on a second engine: Podman's Docker API
// (scripts/podman-engine.sh starts it; the global setup provides its socket as `podmanHost`).
import Dockerode from "dockerode";
import { inject } from "vitest";
import { describeProviderConformance, MARKER_KEYS } from "@vm/conformance";
import { createDockerVMProvider, DOCKER_CAPABILITIES, DOCKER_LABELS } from "@vm/provider-docker";

declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
    /** `unix:///…/podman.sock`: Podman's Docker-compatible API, with the base image loaded. */
    podmanHost: string;
  }
}

const podman = new Dockerode({ socketPath: new URL(inject("podmanHost")).pathname });

describeProviderConformance({
  name: "podman",
  capabilities: DOCKER_CAPABILITIES,
  async setup(marker) {
    const provider = createDockerVMProvider({ docker: podman });
    const snapshot = await provider.snapshots.fromImage(inject("baseImage"), { metadata: { ...marker.metadata } });
    return { provider, snapshotId: snapshot.id, imageId: inject("baseImage") };
  },
  // The leak check of the engine under test: what carries this run's marker on Podman.
  async leftovers(_provider, marker) {
    const label = `${DOCKER_LABELS.metaPrefix}${MARKER_KEYS.run}=${marker.run}`;
    const containers = await podman.listContainers({ all: true, filters: { label: [label] } });
    const images = await podman.listImages({ filters: { label: [label] } });
    return [...containers.map((c) => `container ${c.Id.slice(0, 12)} (${c.State})`), ...images.map((i) => `image ${i.Id.slice(7, 19)}`)];
  },
});
