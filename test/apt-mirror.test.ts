import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = join(import.meta.dirname, "..", "scripts", "apt-mirror.sh");
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** An apt directory with the given files (paths relative to it); returns what the script prints. */
async function mirrorOf(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vm-apt-mirror-"));
  dirs.push(dir);
  await mkdir(join(dir, "sources.list.d"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const { stdout } = await run("bash", [script, dir], { encoding: "utf8" });
  return stdout;
}

// scripts/base-image.sh builds from the mirror the machine's apt uses, so a local mirror is respected.
describe("scripts/apt-mirror.sh", () => {
  it("reads a deb822 .sources file, skipping disabled stanzas, deb-src and the security suite", async () => {
    const sources = [
      "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n",
      "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\nComponents: main\n",
      "# a comment\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n",
      "types: deb\nuris: http://mirror.local:3142/debian/\nsuites: bookworm bookworm-updates\ncomponents: main\n",
    ].join("\n");
    expect(await mirrorOf({ "sources.list.d/debian.sources": sources })).toBe("http://mirror.local:3142/debian\n");
  });

  it("reads a one-line sources.list, with an options block", async () => {
    const list = "# deb http://commented.example/debian bookworm main\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.local/debian bookworm main\n";
    expect(await mirrorOf({ "sources.list": list })).toBe("http://mirror.local/debian\n");
  });

  it("prefers .sources over sources.list (apt's order) and prints nothing without a Debian entry", async () => {
    expect(
      await mirrorOf({
        "sources.list.d/a.sources": "Types: deb\nURIs: file:///srv/mirror/debian\nSuites: bookworm\nComponents: main\n",
        "sources.list": "deb http://other.example/debian bookworm main\n",
      }),
    ).toBe("file:///srv/mirror/debian\n");
    expect(await mirrorOf({ "sources.list": "deb cdrom:[Debian]/ bookworm main\n" })).toBe("");
  });
});
