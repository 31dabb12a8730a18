import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, describe, expect, inject, it } from "vitest";

const run = promisify(execFile);

async function docker(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run("docker", args, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
}

/** The image's default command. */
async function defaultCommand(image: string): Promise<unknown> {
  return JSON.parse((await docker(["image", "inspect", image, "--format", "{{json .Config.Cmd}}"])).stdout);
}

/** One long-lived container from an image, created like a provider would (default network, an idle init command). */
function imageContainer(image: () => string, role: string) {
  const name = `vm-root-test-${role}-image-${randomUUID().slice(0, 8)}`;
  let started: Promise<void> | undefined;

  function container(): Promise<void> {
    const labels = Object.entries(inject("testRunLabels")).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    started ??= docker(["run", "-d", "--name", name, ...labels, "--init", image(), "sleep", "infinity"]).then(() => undefined);
    return started;
  }

  async function sh(script: string, ...args: string[]): Promise<string> {
    await container();
    const { stdout } = await docker(["exec", name, "bash", "-c", script, "bash", ...args]);
    return stdout;
  }

  afterAll(async () => {
    // Remove the container even when a check failed; `rm -f` of a container that never started is fine.
    await docker(["rm", "-f", "-v", name]).catch(() => undefined);
  });
  return { sh };
}

describe("the VM minimal image (like Morph's morphvm-minimal)", () => {
  const image = inject("minimalImage");
  const { sh } = imageContainer(() => image, "minimal");

  it("has bash as its default command, bash, base64, mv and tar, and no Node, npm or PM2 anywhere", async () => {
    expect(await defaultCommand(image)).toEqual(["/bin/bash"]);
    const out = await sh(
      'set -e; for c in bash base64 mv tar ps; do command -v "$c" >/dev/null; done; echo tools; command -v node npm pm2 || true; find / -xdev \\( -name "node" -o -name "pm2" \\) -type f 2>/dev/null || true',
    );
    expect(out.trim()).toBe("tools");
  });

  it("is the layer vm-base is built on", async () => {
    const layers = async (ref: string) =>
      JSON.parse((await docker(["image", "inspect", ref, "--format", "{{json .RootFS.Layers}}"])).stdout) as string[];
    const [minimal, base] = await Promise.all([layers(image), layers(inject("baseImage"))]);
    // Only when the base image is ours (VM_BASE_IMAGE may name another image with Node and PM2).
    if ((await docker(["image", "inspect", inject("baseImage"), "--format", "{{index .Config.Labels \"org.opencontainers.image.title\"}}"])).stdout.trim() !== "vm-base") return;
    expect(base.slice(0, minimal.length)).toEqual(minimal);
    expect(base.length).toBe(minimal.length + 1);
  });
});

describe("the VM base image", () => {
  const image = inject("baseImage");
  const { sh } = imageContainer(() => image, "base");

  it("is an image whose default command is bash", async () => {
    expect(await defaultCommand(image)).toEqual(["/bin/bash"]);
  });

  it("runs Node 24 from /usr/local/bin", async () => {
    const out = await sh('command -v node; node -e "console.log(process.versions.node)"');
    const [path, version] = out.trim().split("\n");
    expect(path).toBe("/usr/local/bin/node");
    expect(version).toMatch(/^24\./);
  });

  it("runs bash, base64 and mv on real data", async () => {
    const out = await sh(
      'set -e; d=$(mktemp -d); printf %s "$1" | base64 -d > "$d/a"; mv "$d/a" "$d/b"; test ! -e "$d/a"; cat "$d/b"; echo; echo "$BASH_VERSION"',
      Buffer.from("héllo 'quoted' $(not run)").toString("base64"),
    );
    const [content, bashVersion] = out.split("\n");
    expect(content).toBe("héllo 'quoted' $(not run)");
    expect(bashVersion).toMatch(/^5\./);
  });

  it("ships no PM2 daemon state and procps works", async () => {
    // The build never runs pm2: a fresh container has no ~/.pm2 and no daemon.
    const out = await sh("test ! -e /root/.pm2 && echo clean; ps -eo comm= | sort -u");
    expect(out.split("\n")[0]).toBe("clean");
    expect(out).not.toMatch(/PM2|God Daemon/);
  });

  it("runs PM2: starts, lists and deletes a process under a daemon", async () => {
    const home = "/tmp/pm2-root-test";
    const out = await sh(
      `set -e
       export PM2_HOME=${home}
       pm2 --version >/dev/null
       pm2 start --name ticker /usr/local/bin/node -- -e 'setInterval(() => {}, 1000)' >/dev/null
       pm2 jlist
       pm2 kill >/dev/null`,
    );
    const list = JSON.parse(out.trim().split("\n").pop() ?? "[]") as { name: string; pm2_env: { status: string } }[];
    expect(list.map((p) => [p.name, p.pm2_env.status])).toEqual([["ticker", "online"]]);
  });

  it("has only the loopback network interface", async () => {
    const out = await sh("ls /sys/class/net");
    expect(out.trim().split(/\s+/)).toEqual(["lo"]);
  });
});
