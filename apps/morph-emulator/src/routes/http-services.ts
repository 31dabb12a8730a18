import { exposeHttpServiceRequestSchema } from "@vm/provider-morph/internal";
import { readRequiredJson } from "../http/body.js";
import { notFound, parse } from "../http/failure.js";
import { SERVICES_PREFIX } from "../services/http-proxy.js";
import type { RouteDeps } from "./deps.js";

/** Expose and hide HTTP services: the model's `networking.http_services`, served by `serveHttpService`. */
export function addHttpServiceRoutes({ router, store, baseUrl, connections }: RouteDeps): void {
  router.add("POST", "/instance/{instance_id}/http", async ({ params, req }) => {
    const body = parse(exposeHttpServiceRequestSchema, await readRequiredJson(req), "body");
    const record = store.instanceOf(params[0]!);
    const id = record.model.id;
    const service = { name: body.name, port: body.port, url: `${baseUrl()}${SERVICES_PREFIX}${id}/${body.name}/`, auth_mode: body.auth_mode ?? "none" };
    // Exposing a name again replaces it (a new port or auth mode).
    const previous = (record.model.networking.http_services ?? []).find((s) => s.name === body.name);
    const others = (record.model.networking.http_services ?? []).filter((s) => s.name !== body.name);
    record.model.networking.http_services = [...others, service];
    // Replaced by another port or auth mode: the old service's connections end (the same again is a retry).
    if (previous && (previous.port !== service.port || previous.auth_mode !== service.auth_mode)) connections.close(id, body.name);
    return { status: 200, json: record.model };
  });

  router.add("DELETE", "/instance/{instance_id}/http/{service_name}", ({ params }) => {
    const record = store.instanceOf(params[0]!);
    const services = record.model.networking.http_services ?? [];
    if (!services.some((s) => s.name === params[1])) throw notFound(`Service ${params[1]}`);
    record.model.networking.http_services = services.filter((s) => s.name !== params[1]);
    connections.close(record.model.id, params[1]!);
    return { status: 200, json: record.model };
  });
}
