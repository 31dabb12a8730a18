/**
 * The origin a redirect points to, for an error message: only `scheme://host:port`, never
 * the path or query (a thief's URL may carry what it wants logged, a real one a token).
 * A relative `Location` resolves against the request's URL.
 *
 * @example
 * ```ts
 * locationOrigin("https://evil.example/x?k=1", "http://127.0.0.1:3737/api/instance"); // "https://evil.example"
 * ```
 */
export function locationOrigin(location: string | null, requestUrl: string): string {
  if (location === null || location.trim() === "") return "no Location";
  if (!URL.canParse(location, requestUrl)) return "an unparsable Location";
  const url = new URL(location, requestUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") return `a ${JSON.stringify(url.protocol.slice(0, 20))} Location`;
  return url.origin;
}

/** Whether an answer is a redirect (a status the client must not follow). */
export function isRedirect(response: Response): boolean {
  return response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400);
}
