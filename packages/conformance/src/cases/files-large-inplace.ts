import { strict as assert } from "node:assert";
import type { ConformanceCase } from "../types.js";
import { sharedScratch } from "./util.js";

// Inode, owner, mode (numeric) and size of "$1".
const IDENTITY = 'stat -c "%i %u:%g %a %s" -- "$1"';

/**
 * A non-atomic `writeFile` of an existing file writes it in place at every size: it keeps the
 * file's inode, owner and mode (Docker once replaced files over 1 MiB with a new root-owned
 * 0644 file, through the engine's archive API).
 */
export const largeInPlaceCases: readonly ConformanceCase[] = [
  {
    id: "files.write-in-place-any-size",
    title: "writeFile of an existing file keeps its inode, owner and mode at every size (1 KiB and 2 MiB)",
    level: "MUST",
    needs: [],
    timeoutMs: 180_000,
    async run(ctx) {
      const { id, dir } = await sharedScratch(ctx);
      for (const size of [1024, 2 * 1024 * 1024]) {
        const path = `${dir}/kept-${size}`;
        const made = await ctx.sh(id, 'printf old > "$1" && chown 65534:65534 -- "$1" && chmod 640 -- "$1"', [path]);
        assert.equal(made.exit_code, 0, made.stderr);
        const [inode] = (await ctx.sh(id, IDENTITY, [path])).stdout.trim().split(" ");
        const content = Buffer.alloc(size, 0x61);
        content.write(`size ${size}\n`);
        await ctx.provider.files.writeFile(id, path, content);
        const after = (await ctx.sh(id, IDENTITY, [path])).stdout.trim();
        assert.equal(after, `${inode} 65534:65534 640 ${size}`, `writeFile of ${size} bytes over an existing file (inode owner mode size)`);
        assert.ok(Buffer.from(await ctx.provider.files.readFileBytes(id, path)).equals(content), `the ${size}-byte content reads back`);
      }
    },
  },
];
