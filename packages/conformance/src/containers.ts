// The testcontainers helpers, at `@vm/conformance/containers` only: testcontainers (with
// dockerode and ssh2) is an optional peer dependency, so the main entry must never load it.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { GenericContainer, ImageName, PullPolicy, Wait, getContainerRuntimeClient } from "testcontainers";
import type { ContainerRuntimeClient, StartedTestContainer, WaitStrategy } from "testcontainers";

/**
 * The container engine testcontainers found (DOCKER_HOST, the socket, …), with its version.
 * Fails loudly when there is none: conformance runs never skip for a missing engine.
 *
 * @example
 * ```ts
 * import { findContainerEngine } from "@vm/conformance/containers";
 * const engine = await findContainerEngine();
 * console.log(engine.info.containerRuntime.serverVersion);
 * ```
 */
export async function findContainerEngine(): Promise<ContainerRuntimeClient> {
  try {
    return await getContainerRuntimeClient();
  } catch (err) {
    throw new Error("testcontainers found no container engine: start Docker (or set DOCKER_HOST) before running the conformance suite", {
      cause: err,
    });
  }
}

/**
 * How to build an image when it is not present locally.
 *
 * @example
 * ```ts
 * import type { ImageBuild } from "@vm/conformance/containers";
 * const build: ImageBuild = { context: "./images/base", dockerfile: "Dockerfile", buildArgs: { NODE_MAJOR: "24" } };
 * ```
 */
export interface ImageBuild {
  /** Build context directory. */
  context: string;
  /** Dockerfile name inside the context (default `Dockerfile`). */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
}

async function baseImagesOf(context: string, dockerfile: string, buildArgs: Record<string, string>): Promise<string[]> {
  const text = await readFile(join(context, dockerfile), "utf8");
  const stages = new Set<string>();
  const images: string[] = [];
  const args: Record<string, string> = { ...buildArgs };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S+))?/i.exec(line);
    if (arg) {
      args[arg[1]!] ??= (arg[2] ?? "").replace(/^["']|["']$/g, "");
      continue;
    }
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from) continue;
    const image = from[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => args[name] ?? "");
    if (image !== "scratch" && !stages.has(image)) images.push(image);
    if (from[2]) stages.add(from[2]);
  }
  return images;
}

/**
 * Make sure `image` exists in the engine without pulling anything: if it is missing and a
 * `build` is given, build it from the Dockerfile with testcontainers (after checking that
 * every `FROM` image is already local, because a build would otherwise pull them).
 *
 * @example
 * ```ts
 * import { ensureImage } from "@vm/conformance/containers";
 * // A local image passes through; a missing one is built only from a context you give.
 * const image = await ensureImage(process.env.VM_BASE_IMAGE ?? "vm-base:latest");
 * const own = await ensureImage("my-app-base:1", { context: "./image" }); // built from ./image/Dockerfile if missing
 * ```
 */
export async function ensureImage(image: string, build?: ImageBuild): Promise<string> {
  const client = await findContainerEngine();
  if (await client.image.exists(ImageName.fromString(image))) return image;
  if (!build) throw new Error(`image ${image} is not in the engine and no build context was given (nothing is ever pulled)`);
  const dockerfile = build.dockerfile ?? "Dockerfile";
  for (const base of await baseImagesOf(build.context, dockerfile, build.buildArgs ?? {})) {
    if (!(await client.image.exists(ImageName.fromString(base)))) {
      throw new Error(`cannot build ${image}: its base image ${base} is not in the engine and pulling is not allowed`);
    }
  }
  await GenericContainer.fromDockerfile(build.context, dockerfile)
    .withBuildArgs(build.buildArgs ?? {})
    .build(image, { deleteOnExit: false });
  return image;
}

/**
 * A wait strategy that polls `url` from the host until it answers with a status below 500.
 * It needs no mapped port: with host networking the service listens on the host itself.
 *
 * @example
 * ```ts
 * import { waitForUrl } from "@vm/conformance/containers";
 * const wait = waitForUrl("http://127.0.0.1:8080/health");
 * ```
 */
export function waitForUrl(url: string, options: { intervalMs?: number; headers?: Record<string, string> } = {}): WaitStrategy {
  let timeoutMs = 60_000;
  let set = false;
  const strategy: WaitStrategy = {
    async waitUntilReady() {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        try {
          const response = await fetch(url, { headers: options.headers ?? {}, signal: AbortSignal.timeout(2_000) });
          await response.body?.cancel();
          if (response.status < 500) return;
          last = new Error(`HTTP ${response.status}`);
        } catch (err) {
          last = err;
        }
        await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
      }
      throw new Error(`${url} did not answer within ${timeoutMs} ms`, { cause: last });
    },
    withStartupTimeout(ms: number) {
      timeoutMs = ms;
      set = true;
      return strategy;
    },
    isStartupTimeoutSet: () => set,
    getStartupTimeout: () => timeoutMs,
  };
  return strategy;
}

/**
 * What `startService()` runs.
 *
 * @example
 * ```ts
 * import type { ServiceSpec } from "@vm/conformance/containers";
 * const spec: ServiceSpec = {
 *   image: "vm-base:latest",
 *   command: ["node", "/app/server.js"],
 *   env: { PORT: "18080" },
 *   bindMounts: [{ source: "/abs/path/app", target: "/app", mode: "ro" }],
 *   waitFor: /listening/,
 * };
 * ```
 */
export interface ServiceSpec {
  image: string;
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  bindMounts?: { source: string; target: string; mode?: "rw" | "ro" }[];
  workingDir?: string;
  user?: string;
  labels?: Record<string, string>;
  /** A log line (string or RegExp), or any testcontainers `WaitStrategy` that needs no mapped port (e.g. `waitForUrl`). */
  waitFor?: string | RegExp | WaitStrategy;
  startupTimeoutMs?: number;
  /** Build the image from here when it is missing (see `ensureImage`). */
  build?: ImageBuild;
}

/**
 * A running service; `stop()` (or `await using`) removes its container.
 *
 * @example
 * ```ts
 * import type { StartedService } from "@vm/conformance/containers";
 * async function logsOf(service: StartedService) {
 *   return service.container.getId();
 * }
 * ```
 */
export interface StartedService extends AsyncDisposable {
  readonly container: StartedTestContainer;
  stop(): Promise<void>;
}

/**
 * Start a service container a provider talks to (e.g. the Morph emulator) on the host
 * network: no port mapping exists under `--bridge=none`, so the service listens on the host's
 * 127.0.0.1 and waits use log lines or host-side probes. The image must be local (or
 * buildable from `build`): nothing is pulled.
 *
 * @example
 * ```ts
 * import { startService, waitForUrl } from "@vm/conformance/containers";
 * // `await using`: Node 24+, or TypeScript compiling it to try/finally for Node 22 (or call stop()).
 * await using emulator = await startService({
 *   image: "vm-base:latest",
 *   command: ["node", "/app/dist/main.js"],
 *   env: { PORT: "18080" },
 *   bindMounts: [{ source: "/repo/apps/morph-emulator", target: "/app", mode: "ro" }],
 *   waitFor: waitForUrl("http://127.0.0.1:18080/health"),
 * });
 * ```
 */
export async function startService(spec: ServiceSpec): Promise<StartedService> {
  await ensureImage(spec.image, spec.build);
  let container = new GenericContainer(spec.image)
    .withPullPolicy(PullPolicy.neverPull())
    .withNetworkMode("host")
    .withLabels({ "vm-conformance.service": "true", ...(spec.labels ?? {}) })
    .withStartupTimeout(spec.startupTimeoutMs ?? 60_000);
  if (spec.command) container = container.withCommand(spec.command);
  if (spec.entrypoint) container = container.withEntrypoint(spec.entrypoint);
  if (spec.env) container = container.withEnvironment(spec.env);
  if (spec.bindMounts) container = container.withBindMounts(spec.bindMounts.map((m) => ({ source: m.source, target: m.target, mode: m.mode ?? "rw" })));
  if (spec.workingDir) container = container.withWorkingDir(spec.workingDir);
  if (spec.user) container = container.withUser(spec.user);
  const wait = spec.waitFor;
  if (wait !== undefined) container = container.withWaitStrategy(typeof wait === "string" || wait instanceof RegExp ? Wait.forLogMessage(wait) : wait);
  const started = await container.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await started.stop({ remove: true, removeVolumes: true });
  };
  return { container: started, stop, [Symbol.asyncDispose]: stop };
}
