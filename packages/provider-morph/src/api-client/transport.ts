import { isNetworkError } from "ky";

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// Errors from fetch/ky carry the Request (and so the Authorization header); only a plain
// description of the root cause is kept.
export function describeCause(err: unknown): { name: string; message: string; code?: string } {
  let root: unknown = err;
  for (let i = 0; i < 5 && root instanceof Error && root.cause instanceof Error; i++) root = root.cause;
  const e = root instanceof Error ? root : new Error(String(root));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, ...(typeof code === "string" ? { code } : {}) };
}

export function isReset(err: unknown): boolean {
  if (isNetworkError(err)) return true;
  // undici reports resets as TypeError("fetch failed") with a cause carrying a socket code.
  if (err instanceof TypeError && /fetch failed|terminated|socket/i.test(err.message)) return true;
  return false;
}

export function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
