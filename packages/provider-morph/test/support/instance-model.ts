/** A full `InstanceModel` answer as the spec describes it, for tests that need a valid one. */
export const INSTANCE_MODEL = {
  id: "morphvm_1",
  object: "instance",
  created: 1,
  status: "ready",
  spec: { vcpus: 1, memory: 128, disk_size: 700 },
  refs: { snapshot_id: "snapshot_1", image_id: "img" },
  networking: { internal_ip: null, http_services: [] },
  metadata: { a: "b" },
  ttl: { ttl_seconds: null, ttl_expire_at: null, ttl_action: "stop" },
  wake_on: { wake_on_ssh: false, wake_on_http: false },
};
