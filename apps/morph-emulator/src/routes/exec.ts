import { execRequestSchema } from "@vm/provider-morph/internal";
import { readJson } from "../http/body.js";
import { parse } from "../http/failure.js";
import type { RouteContext } from "../http/router.js";
import type { RouteDeps } from "./deps.js";
import { backendArgv, programOf } from "./exec-command.js";

export { programOf } from "./exec-command.js";

/** `POST /instance/{id}/exec` and its SSE form. */
export function addExecRoutes({ router, store, backend, log, onExchange, execMode }: RouteDeps): void {
  // The body, logged, and the instance it runs on: the same for both forms.
  async function prepare({ params, req, logged }: RouteContext) {
    const body = parse(execRequestSchema, await readJson(req), "body");
    logged.program = programOf(body.command);
    const record = await store.readyInstance(params[0]!);
    // `command: []` is valid (the spec sets no minimum): over SSH an empty line runs nothing
    // and exits 0, and so does this.
    return { command: backendArgv(body.command, execMode), backendId: record.backendId };
  }

  router.add("POST", "/instance/{instance_id}/exec", async (ctx) => {
    const { command, backendId } = await prepare(ctx);
    const result = await backend.instances.exec(backendId, command, { signal: ctx.signal });
    return { status: 200, json: { stdout: result.stdout, stderr: result.stderr, exit_code: result.exit_code } };
  });

  router.add("POST", "/instance/{instance_id}/exec/sse", async (ctx) => {
    const { req, res, signal } = ctx;
    const { command, backendId } = await prepare(ctx);
    const stream = backend.instances.execStream(backendId, command, { signal });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const transcript: string[] = [];
    const send = (event: unknown) => {
      const line = `data: ${JSON.stringify(event)}\n\n`;
      transcript.push(line);
      res.write(line);
    };
    try {
      for await (const chunk of stream) {
        if (signal.aborted) break;
        if (chunk.type === "exit") send({ type: "exit_code", content: chunk.exit_code });
        else send({ type: chunk.type, content: chunk.data });
      }
    } catch (err) {
      if (!signal.aborted) log(`exec/sse failed: ${String(err)}`);
    }
    res.end();
    onExchange?.({ method: "POST", route: "/instance/{instance_id}/exec/sse", path: req.url ?? "", status: 200, contentType: "text/event-stream", body: transcript.join("") });
    return { status: "stream" };
  });
}
