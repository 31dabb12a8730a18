import type { FileInfo } from "@vm/core";
import { VMError } from "../errors.js";
import type { ErrorContext } from "../validate.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A name's bytes for a message: printable ASCII as is, every other byte as `\xNN`. */
function escapeBytes(bytes: Buffer): string {
  let out = "";
  for (const byte of bytes.subarray(0, 120)) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return bytes.length > 120 ? `${out}...` : out;
}

/**
 * Turns `FILE_LIST_SCRIPT` output (base64 of NUL-terminated `name, type, size, mtime`
 * records) into `FileInfo`s sorted by name. Returns `undefined` when the output is not in
 * that shape. A name that is not valid UTF-8 cannot round-trip through a JavaScript string
 * (two such names could decode to the same text, and neither could be passed back as a
 * path): the whole listing is refused with `INVALID_ARGUMENT`, naming how many there are and
 * the first (in byte order) with its bytes escaped.
 */
export function parseListing(stdout: string, directory: string, ctx: ErrorContext = { provider: "provider-kit", operation: "files.listDirectory" }): FileInfo[] | undefined {
  const text = stdout.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const raw = Buffer.from(text, "base64");
  const fields: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0) {
      fields.push(raw.subarray(start, i));
      start = i + 1;
    }
  }
  if (start !== raw.length || fields.length % 4 !== 0) return undefined;
  const prefix = directory.endsWith("/") ? directory : `${directory}/`;
  const entries: FileInfo[] = [];
  const notUtf8: Buffer[] = [];
  for (let i = 0; i < fields.length; i += 4) {
    const [nameBytes, type, size, mtime] = fields.slice(i, i + 4) as [Buffer, Buffer, Buffer, Buffer];
    if (!isUtf8(nameBytes)) {
      notUtf8.push(nameBytes);
      continue;
    }
    const name = nameBytes.toString("utf8");
    const sizeNumber = Number(size.toString("latin1"));
    const seconds = Number(mtime.toString("latin1"));
    if (name.length === 0 || !Number.isFinite(sizeNumber) || !Number.isFinite(seconds)) return undefined;
    entries.push({
      path: prefix + name,
      name,
      isDirectory: type.toString("latin1") === "d",
      size: sizeNumber,
      modified: new Date(Math.round(seconds * 1000)),
    });
  }
  if (notUtf8.length > 0) {
    const first = notUtf8.sort((a, b) => Buffer.compare(a, b))[0] as Buffer;
    const count = notUtf8.length === 1 ? "1 name is" : `${notUtf8.length} names are`;
    throw new VMError(
      "INVALID_ARGUMENT",
      `${ctx.operation} ${JSON.stringify(directory.slice(0, 200))}: ${count} not valid UTF-8 (first: "${escapeBytes(first)}"); paths are UTF-8 strings, so such a name cannot be listed or passed back`,
      ctx,
    );
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
