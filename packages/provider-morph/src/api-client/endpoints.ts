/**
 * Every Morph API endpoint this provider calls, as the spec names them (method and path
 * template). The faithfulness test checks that the emulator's answers to each match the
 * spec, and that the provider calls nothing else.
 */
export const MORPH_ENDPOINTS: readonly { readonly method: "GET" | "POST" | "DELETE"; readonly path: string }[] = [
  { method: "GET", path: "/image" },
  { method: "GET", path: "/snapshot" },
  { method: "POST", path: "/snapshot" },
  { method: "GET", path: "/snapshot/{snapshot_id}" },
  { method: "DELETE", path: "/snapshot/{snapshot_id}" },
  { method: "POST", path: "/snapshot/{snapshot_id}/boot" },
  { method: "GET", path: "/instance" },
  { method: "GET", path: "/instance/{instance_id}" },
  { method: "DELETE", path: "/instance/{instance_id}" },
  { method: "POST", path: "/instance/{instance_id}/pause" },
  { method: "POST", path: "/instance/{instance_id}/resume" },
  { method: "POST", path: "/instance/{instance_id}/metadata" },
  { method: "POST", path: "/instance/{instance_id}/http" },
  { method: "DELETE", path: "/instance/{instance_id}/http/{service_name}" },
  { method: "POST", path: "/instance/{instance_id}/snapshot" },
  { method: "POST", path: "/instance/{instance_id}/branch" },
  { method: "POST", path: "/instance/{instance_id}/exec" },
  { method: "POST", path: "/instance/{instance_id}/exec/sse" },
];
