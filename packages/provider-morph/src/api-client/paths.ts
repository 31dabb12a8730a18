/**
 * Encodes path segments: `pathOf("instance", id, "exec")`.
 *
 * @example
 * ```ts
 * pathOf("instance", "morphvm_1", "exec"); // "instance/morphvm_1/exec"
 * ```
 */
export function pathOf(...segments: string[]): string {
  return segments.map((segment) => encodeURIComponent(segment)).join("/");
}

/**
 * The spec's `deepObject` encoding of a metadata filter: `metadata[key]=value`.
 *
 * @example
 * ```ts
 * metadataQuery({ app: "demo" }).toString(); // "metadata%5Bapp%5D=demo"
 * ```
 */
export function metadataQuery(metadata: Record<string, string> | undefined, params = new URLSearchParams()): URLSearchParams {
  for (const [key, value] of Object.entries(metadata ?? {})) params.append(`metadata[${key}]`, value);
  return params;
}
