import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseImage: string;
  }
}

const root = join(import.meta.dirname, "..");

// Integration tests never skip for a missing engine: they fail here, loudly, instead.
export function setup(project: TestProject): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
  process.env.TESTCONTAINERS_HOST_OVERRIDE = "localhost";
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "pipe" });
  } catch (err) {
    throw new Error("No Docker engine answers. Run `bash scripts/docker-engine.sh` (or `pnpm docker:up`) first.", { cause: err });
  }
  let image = process.env.VM_BASE_IMAGE;
  if (!image) {
    const script = join(root, "scripts", "base-image.sh");
    image = existsSync(script)
      ? execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()
      : "vm-base:dev";
  }
  if (!image) throw new Error("scripts/base-image.sh printed no image reference");
  process.env.VM_BASE_IMAGE = image;
  project.provide("baseImage", image);
}
