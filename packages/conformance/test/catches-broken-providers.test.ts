// Proof that the suite can fail: three deliberately broken wrappers of the real Docker
// provider each fail exactly the cases written to catch them, while the unmodified provider
// passes the same cases in the same run.
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { ExecStreamChunk, ProviderCapabilities, VMProvider } from "@vm/core";
import { runConformance } from "@vm/conformance";
import type { CaseOutcome, ConformanceTarget } from "@vm/conformance";

declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
  }
}

// @vm/provider-docker depends (dev) on this package for its own conformance test, so this
// package cannot depend back on it by name: that would be a workspace cycle. Load its build.
interface DockerModule {
  createDockerVMProvider(): VMProvider;
  DOCKER_CAPABILITIES: ProviderCapabilities;
}
const dockerDist = pathToFileURL(join(import.meta.dirname, "..", "..", "provider-docker", "dist", "index.js")).href;

const CASES = [
  "files.text-roundtrip",
  "files.binary-roundtrip",
  "files.overwrite",
  "files.copy-move",
  "files.atomic-options",
  "files.atomic-owner",
  "exec.exit-code",
  "exec.stdout-stderr",
  "exec.stream-order",
  "concurrency.parallel-exec",
];

type Breakage = (provider: VMProvider) => VMProvider;

const dropWrite: Breakage = (p) => ({ ...p, files: { ...p.files, writeFile: async () => {} } });

const alwaysExitZero: Breakage = (p) => ({
  ...p,
  instances: {
    ...p.instances,
    exec: async (...args) => ({ ...(await p.instances.exec(...args)), exit_code: 0 }),
    execStream: async function* (...args): AsyncGenerator<ExecStreamChunk> {
      for await (const chunk of p.instances.execStream(...args)) yield chunk.type === "exit" ? { type: "exit", exit_code: 0 } : chunk;
    },
  },
});

const ignoreMode: Breakage = (p) => ({
  ...p,
  files: { ...p.files, writeFileAtomic: (id, path, content, options) => p.files.writeFileAtomic(id, path, content, { ...options, mode: undefined }) },
});

let docker: DockerModule;

function target(name: string, breakage: Breakage | undefined): ConformanceTarget {
  return {
    name: `docker-proof-${name}`,
    capabilities: docker.DOCKER_CAPABILITIES,
    async setup(marker) {
      const real = docker.createDockerVMProvider();
      const snapshot = await real.snapshots.fromImage(inject("baseImage"), { metadata: { ...marker.metadata } });
      return { provider: breakage ? breakage(real) : real, snapshotId: snapshot.id };
    },
  };
}

const failed = (outcomes: CaseOutcome[]) => outcomes.filter((o) => o.state === "fail").map((o) => o.id).sort();
const only = (id: string) => CASES.includes(id);

describe("the conformance suite catches broken providers", () => {
  beforeAll(async () => {
    docker = (await import(dockerDist)) as DockerModule;
  });

  it("the unmodified Docker provider passes every case used below, and the leak check", { timeout: 300_000 }, async () => {
    const outcomes = await runConformance(target("control", undefined), { only });
    expect(outcomes.map((o) => o.id).sort()).toEqual([...CASES, "cleanup.nothing-left"].sort());
    expect(failed(outcomes), JSON.stringify(outcomes.filter((o) => o.state === "fail").map((o) => [o.id, o.detail]))).toEqual([]);
  });

  it("a provider that drops writes fails the write round-trip cases", { timeout: 300_000 }, async () => {
    const outcomes = await runConformance(target("drop-write", dropWrite), { only });
    const ids = failed(outcomes);
    expect(ids).toEqual(expect.arrayContaining(["files.text-roundtrip", "files.binary-roundtrip", "files.overwrite", "files.copy-move"]));
    expect(ids.every((id) => id.startsWith("files."))).toBe(true);
    expect(outcomes.find((o) => o.id === "cleanup.nothing-left")?.state).toBe("pass");
  });

  it("a provider that always reports exit code 0 fails the exit-code cases", { timeout: 300_000 }, async () => {
    const outcomes = await runConformance(target("exit-zero", alwaysExitZero), { only });
    const ids = failed(outcomes);
    expect(ids).toEqual(expect.arrayContaining(["exec.exit-code", "exec.stream-order", "concurrency.parallel-exec"]));
    expect(ids).not.toContain("exec.stdout-stderr");
  });

  it("a provider that ignores mode fails the writeFileAtomic option cases", { timeout: 300_000 }, async () => {
    const outcomes = await runConformance(target("ignore-mode", ignoreMode), { only });
    expect(failed(outcomes)).toEqual(["files.atomic-options", "files.atomic-owner"]);
    expect(outcomes.find((o) => o.id === "files.atomic-options")?.detail).toMatch(/600|755|640/);
  });
});
