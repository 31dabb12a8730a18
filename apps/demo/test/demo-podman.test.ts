import { inject } from "vitest";
import { describeDemoOnEngine } from "./demo-engine.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Podman's Docker API socket (scripts/podman-engine.sh), the base image loaded. */
    podmanHost: string;
  }
}

// The same demo on a second engine: only DOCKER_HOST differs, as the README tells users.
describeDemoOnEngine(
  "podman",
  () => ({ DOCKER_HOST: inject("podmanHost") }),
  () => inject("podmanHost"),
);
