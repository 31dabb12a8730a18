import { invalid } from "./failure.js";

/** `metadata[key]=value` query parameters -> a filter. */
export function metadataFilter(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of query) {
    const match = /^metadata\[(.+)\]$/.exec(key);
    // defineProperty, not assignment: `out["__proto__"] = v` would set the prototype and the
    // filter key would be silently dropped (the list would then return everything).
    if (match) Object.defineProperty(out, match[1]!, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function matches(metadata: Record<string, string> | null | undefined, filter: Record<string, string>): boolean {
  // Own keys only: `constructor`, `toString` etc. must be in the metadata, not on Object.prototype.
  const own = metadata ?? {};
  return Object.entries(filter).every(([k, v]) => Object.hasOwn(own, k) && own[k] === v);
}

export function queryInt(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^-?\d+$/.test(raw)) throw invalid([{ loc: ["query", name], msg: "Input should be a valid integer, unable to parse string as an integer", type: "int_parsing" }]);
  return Number(raw);
}

export function queryBool(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw invalid([{ loc: ["query", name], msg: "Input should be a valid boolean, unable to interpret input", type: "bool_parsing" }]);
}
