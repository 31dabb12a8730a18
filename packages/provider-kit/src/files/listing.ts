import type { FileInfo } from "@vm/core";

/**
 * Turns `FILE_LIST_SCRIPT` output (base64 of NUL-terminated `name, type, size, mtime`
 * records) into `FileInfo`s sorted by name. Returns `undefined` when the output is not in
 * that shape. Names that are not valid UTF-8 are decoded with U+FFFD replacement characters
 * (a JavaScript string cannot hold the raw bytes).
 */
export function parseListing(stdout: string, directory: string): FileInfo[] | undefined {
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
  for (let i = 0; i < fields.length; i += 4) {
    const [nameBytes, type, size, mtime] = fields.slice(i, i + 4) as [Buffer, Buffer, Buffer, Buffer];
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
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
