import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { TestProject } from "vitest/node";
import { daemonKey, listPm2Daemons } from "./pm2-daemons.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Debian with Node and PM2 (`vm-base`, VM_BASE_IMAGE). */
    baseImage: string;
    /** `unix:///…/podman.sock`: Podman's Docker-compatible API (scripts/podman-engine.sh), with `baseImage` loaded. */
    podmanHost: string;
    /** The same Debian without Node and PM2 (`vm-minimal`, VM_MINIMAL_IMAGE): what Morph's `morphvm-minimal` is like. */
    minimalImage: string;
    /** `{ "dev.vm.test-run": <this run's id> }`: pass to `createDockerVMProvider({ labels })` / `docker run --label`. */
    testRunLabels: Record<string, string>;
  }
}

const root = join(import.meta.dirname, "..");

/** The label @vm/provider-docker puts on every container and image it creates (DOCKER_LABELS). */
export const MANAGED_LABEL = "dev.vm.managed";
/**
 * Names the test run that created an object. Objects labelled with ANOTHER run's id (a second
 * run sharing the engine) are not this run's leaks; unlabelled new objects still count.
 */
export const TEST_RUN_LABEL = "dev.vm.test-run";

/** The docker CLI against Docker's engine, or another engine's Docker API at `host` (Podman's). */
function docker(args: string[], host?: string): string {
  return execFileSync("docker", host === undefined ? args : ["-H", host, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

interface Inventory {
  containers: Map<string, string>; // full id -> one-line description
  images: Map<string, string>;
}

/** Everything the leak check watches: labelled containers and images, and containers of the test images. */
function inventory(testImages: readonly string[], host?: string): Inventory {
  const containers = new Map<string, string>();
  const format = "{{.ID}}\t{{.Image}}\t{{.Names}}\t{{.Status}}";
  for (const filter of [`label=${MANAGED_LABEL}`, ...testImages.map((i) => `ancestor=${i}`)]) {
    for (const line of lines(docker(["ps", "-a", "--no-trunc", "--filter", filter, "--format", format], host))) {
      const [id = "", image, name, status] = line.split("\t");
      containers.set(id, `container ${id.slice(0, 12)} ${name} (image ${image}, ${status})`);
    }
  }
  const images = new Map<string, string>();
  const imageFormat = "{{.ID}}\t{{.Repository}}:{{.Tag}}\t{{.CreatedSince}}";
  for (const line of lines(docker(["images", "-a", "--no-trunc", "--filter", `label=${MANAGED_LABEL}`, "--format", imageFormat], host))) {
    const [id = "", ref, created] = line.split("\t");
    images.set(id, `image ${id.replace(/^sha256:/, "").slice(0, 12)} ${ref} (created ${created})`);
  }
  return { containers, images };
}

/** The test-run label of each object ("" when it has none); objects that vanished meanwhile are left out. */
function runLabels(kind: "container" | "image", ids: string[], host?: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of ids) {
    try {
      const label = docker([kind, "inspect", "--format", `{{index .Config.Labels "${TEST_RUN_LABEL}"}}`, id], host).trim();
      out.set(id, label === "<no value>" ? "" : label);
    } catch {
      // Removed between listing and inspecting: not a leak.
    }
  }
  return out;
}

function leftovers(before: Inventory, images: readonly string[], runId: string, host?: string): string[] {
  const now = inventory(images, host);
  const out: string[] = [];
  for (const kind of ["container", "image"] as const) {
    const current = kind === "container" ? now.containers : now.images;
    const known = kind === "container" ? before.containers : before.images;
    const fresh = [...current.keys()].filter((id) => !known.has(id));
    for (const [id, label] of runLabels(kind, fresh, host)) {
      if (label === "" || label === runId) out.push(`${host === undefined ? "" : "Podman: "}${current.get(id) ?? id}`);
    }
  }
  return out;
}

/**
 * PM2 God daemons that were not running before the run and still run now: on the host, or in
 * a container that is not another run's (a daemon in a removed container dies with it, so one
 * that survives the run is a leak, e.g. in a leaked container or a private engine's).
 */
function pm2Leftovers(before: Set<string>, runId: string): string[] {
  const out: string[] = [];
  for (const daemon of listPm2Daemons()) {
    if (before.has(daemonKey(daemon))) continue;
    let where = "on the host";
    if (daemon.containerId) {
      const label = runLabels("container", [daemon.containerId]).get(daemon.containerId);
      if (label !== undefined && label !== "" && label !== runId) continue;
      where = `in container ${daemon.containerId.slice(0, 12)}${label === undefined ? " (not on the shared engine: a private engine's?)" : ""}`;
    }
    out.push(`PM2 daemon pid ${daemon.pid} "${daemon.title}" ${where}`);
  }
  return out;
}

/**
 * Private engines (scripts/docker-private-engine.sh) this run started and did not destroy: their
 * directory's marker names this run. They are destroyed here (a daemon left running would hold
 * the machine's resources until reboot) and reported.
 */
function privateEngineLeftovers(runId: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync("/tmp")) {
    if (!name.startsWith("vm-")) continue;
    let marker: string;
    try {
      marker = readFileSync(join("/tmp", name, ".vm-private-engine"), "utf8");
    } catch {
      continue;
    }
    if (marker.trim() !== `run=${runId}`) continue;
    const dir = join("/tmp", name);
    try {
      execFileSync("bash", [join(root, "scripts", "docker-private-engine.sh"), "destroy", dir], { stdio: ["ignore", "ignore", "pipe"], timeout: 300_000 });
      out.push(`private Docker engine ${dir} (destroyed now)`);
    } catch (err) {
      out.push(`private Docker engine ${dir} (could not destroy it: ${String(err)})`);
    }
  }
  return out;
}

// Integration tests never skip for a missing engine: the setup brings one up, or fails loudly.
export function setup(project: TestProject): () => Promise<void> {
  process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
  process.env.TESTCONTAINERS_HOST_OVERRIDE = "localhost";
  try {
    execFileSync("bash", [join(root, "scripts", "docker-engine.sh")], { stdio: ["ignore", "inherit", "inherit"] });
  } catch (err) {
    throw new Error("No Docker engine answers and scripts/docker-engine.sh could not start one (see its output above).", {
      cause: err,
    });
  }

  let image = process.env.VM_BASE_IMAGE;
  let minimal = process.env.VM_MINIMAL_IMAGE;
  if (!image || !minimal) {
    // It prints the minimal image, then the base image (both cached by recipe hash: a warm run only looks them up).
    const out = lines(
      execFileSync("bash", [join(root, "scripts", "base-image.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      }),
    );
    image ||= out.at(-1);
    minimal ||= out.at(-2);
  }
  if (!image || !minimal) throw new Error("scripts/base-image.sh did not print the minimal and base image references");
  for (const [ref, variable] of [
    [image, "VM_BASE_IMAGE"],
    [minimal, "VM_MINIMAL_IMAGE"],
  ] as const) {
    try {
      docker(["image", "inspect", ref]);
    } catch (err) {
      throw new Error(`The image ${ref} (${variable}) is not in the Docker engine.`, { cause: err });
    }
  }
  process.env.VM_BASE_IMAGE = image;
  process.env.VM_MINIMAL_IMAGE = minimal;
  project.provide("baseImage", image);
  project.provide("minimalImage", minimal);
  // The second engine: Podman serving the Docker API, the base image loaded from Docker.
  const podmanHost = lines(
    execFileSync("bash", [join(root, "scripts", "podman-engine.sh"), image], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }),
  ).pop();
  if (!podmanHost) throw new Error("scripts/podman-engine.sh printed no socket");
  project.provide("podmanHost", podmanHost);
  // Test workers inherit this; tests label what they create with it (see TEST_RUN_LABEL).
  const runId = (process.env.VM_TEST_RUN_ID ||= `run-${randomUUID()}`);
  project.provide("testRunLabels", { [TEST_RUN_LABEL]: runId });

  // Leak check: whatever carries our label, or runs a test image, and was not there before the run.
  const testImages = [image, minimal];
  const before = inventory(testImages);
  const podmanBefore = inventory([image], podmanHost);
  const pm2Before = new Set(listPm2Daemons().map(daemonKey));
  return async () => {
    const mode = process.env.VM_LEAK_CHECK ?? "fail";
    if (mode === "off") return;
    // Cleanups that finish just after their test (and other runs sharing this engine) get a short grace.
    const engines = privateEngineLeftovers(runId);
    const check = () => [...leftovers(before, testImages, runId), ...leftovers(podmanBefore, [image], runId, podmanHost), ...pm2Leftovers(pm2Before, runId)];
    let leaked = check();
    // Up to 60 s (it ends as soon as nothing is left): a loaded engine removes containers late.
    for (let i = 0; i < 120 && leaked.length > 0; i++) {
      await sleep(500);
      leaked = check();
    }
    leaked = [...engines, ...leaked];
    if (leaked.length === 0) return;
    const message =
      `Leak check: ${leaked.length} object(s) (Docker objects, PM2 daemons, private engines) created during the integration run were not removed:\n` +
      leaked.map((l) => `  - ${l}`).join("\n") +
      `\nEvery test must remove what it creates (afterEach/afterAll, try/finally). Docker objects and PM2 daemons were left in place for inspection.` +
      `\n(Objects labelled ${TEST_RUN_LABEL}=<another run> are not counted. If another run shares this engine without` +
      ` that label, its objects show up here too: VM_LEAK_CHECK=warn reports without failing.)`;
    if (mode === "warn") {
      console.warn(message);
      return;
    }
    throw new Error(message);
  };
}
