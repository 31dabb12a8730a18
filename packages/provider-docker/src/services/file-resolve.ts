// Parsing what the kit's FILE_RESOLVE_*_SCRIPTs print: which path the kernel inside the
// container resolves a path to, so that the engine's archive API is only ever given a path it
// resolves the same way (no symbolic link, no "..", on the container's root filesystem).

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A resolved path printed as base64, or `undefined` when it is not valid UTF-8 (the archive API takes a string). */
function decodePath(b64: string): string | undefined {
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length === 0 || bytes[0] !== 0x2f) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** What a read of a path finds in the container. */
export type ReadResolution =
  | { kind: "other" }
  | {
      kind: "file";
      size: number;
      /** True when the file is on the container's root filesystem (the engine sees it there). */
      onRoot: boolean;
      /** The fully resolved path, when it can be handed to the archive API. */
      real: string | undefined;
      /** The content, when the script sent it inline (at most `inlineMax + 1` bytes). */
      inline: Buffer | undefined;
    };

/** Parses FILE_RESOLVE_READ_SCRIPT output; `undefined` when it is not in that shape. */
export function parseReadResolution(stdout: string, inlineMax: number): ReadResolution | undefined {
  if (stdout.trim() === "o") return { kind: "other" };
  const newline = stdout.indexOf("\n");
  if (newline < 0) return undefined;
  const header = /^f (\d+) (root|mount) ([A-Za-z0-9+/]+={0,2})$/.exec(stdout.slice(0, newline));
  if (header === null) return undefined;
  const [, sizeText, where, real] = header as unknown as [string, string, string, string];
  const size = Number(sizeText);
  const body = stdout.slice(newline + 1).trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  const inline = size <= inlineMax ? Buffer.from(body, "base64") : undefined;
  return { kind: "file", size, onRoot: where === "root", real: decodePath(real), inline };
}

/** What a write of a path would replace, and where its parent is. */
export interface WriteResolution {
  /** What is at the path now: nothing, a regular file, a symbolic link, something else. */
  existing: "none" | "file" | "link" | "other";
  /** True when the parent (and an existing file) are on the container's root filesystem. */
  onRoot: boolean;
  /** The resolved parent directory, when it can be handed to the archive API. */
  realDir: string | undefined;
}

const EXISTING = { n: "none", f: "file", l: "link", o: "other" } as const;

/** Parses FILE_RESOLVE_WRITE_SCRIPT output; `undefined` when it is not in that shape. */
export function parseWriteResolution(stdout: string): WriteResolution | undefined {
  const match = /^([nflo]) (root|mount) ([A-Za-z0-9+/]+={0,2})\n?$/.exec(stdout);
  if (match === null) return undefined;
  const [, kind, where, real] = match as unknown as [string, keyof typeof EXISTING, string, string];
  return { existing: EXISTING[kind], onRoot: where === "root", realDir: decodePath(real) };
}
