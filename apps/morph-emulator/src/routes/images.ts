import type { RouteDeps } from "./deps.js";

/** `GET /image`. */
export function addImageRoutes({ router, images }: RouteDeps): void {
  router.add("GET", "/image", () => ({ status: 200, json: { object: "list", data: images.models } }));
}
