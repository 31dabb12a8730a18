import type { IncomingMessage, ServerResponse } from "node:http";

/** A JSON answer (no `json`: an empty body), or `stream` when the handler answered itself. */
export type JsonAnswer = { status: number; json?: unknown; headers?: Record<string, string> };
export type Answer = JsonAnswer | { status: "stream" };

/**
 * One request in the log. `program`, for an exec, is what it runs: `$0` of a `bash -c` / `sh -c`
 * script (the provider's wrapper is "vm-exec", its kill "vm-kill"), else argv[0]; set once the
 * body is read (a delayed request has none until it is handled), so a test can tell a kill
 * exec from a re-sent command.
 */
export type LoggedRequest = { method: string; path: string; route: string; program?: string };

/** What a route handler gets. */
export interface RouteContext {
  params: string[];
  query: URLSearchParams;
  req: IncomingMessage;
  res: ServerResponse;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  logged: LoggedRequest;
}

export type Handler = (ctx: RouteContext) => Answer | Promise<Answer>;

export interface Route {
  method: string;
  /** The spec's path template, e.g. `/instance/{instance_id}`. */
  template: string;
  re: RegExp;
  handler: Handler;
}

/** The routes under /api, matched by method and path template. */
export interface Router {
  readonly routes: readonly Route[];
  add(method: string, template: string, handler: Handler): void;
  find(method: string, path: string): Route | undefined;
  /** Whether any method serves this path (405 rather than 404). */
  knows(path: string): boolean;
}

export function createRouter(): Router {
  const routes: Route[] = [];
  return {
    routes,
    add(method, template, handler) {
      const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, "([^/]+)")}$`);
      routes.push({ method, template, re, handler });
    },
    find: (method, path) => routes.find((r) => r.method === method && r.re.test(path)),
    knows: (path) => routes.some((r) => r.re.test(path)),
  };
}
