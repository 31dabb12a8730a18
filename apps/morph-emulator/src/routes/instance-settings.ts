import { generateKeyPairSync, randomBytes } from "node:crypto";
import { metadataSchema, updateTtlRequestSchema, updateWakeRequestSchema } from "@vm/provider-morph/internal";
import { readRequiredJson } from "../http/body.js";
import { parse } from "../http/failure.js";
import type { InstanceRecord } from "../state/store.js";
import type { RouteDeps } from "./deps.js";

/**
 * An ed25519 key pair as `InstanceSshKey`: the public key in OpenSSH form, the private key as
 * PKCS#8 PEM. Nothing serves SSH with it: the emulator has no sshd (exec covers commands).
 */
function newSshKey(): NonNullable<InstanceRecord["sshKey"]> {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]);
  return {
    private_key: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    public_key: `ssh-ed25519 ${blob.toString("base64")}`,
    password: randomBytes(16).toString("hex"),
  };
}

/** Settings of instances and snapshots: metadata, TTL, wake-on and the instance's SSH key. */
export function addInstanceSettingsRoutes({ router, store }: RouteDeps): void {
  // "Set metadata": the keys sent are set, the others kept (the official SDK merges them into
  // its copy the same way).
  router.add("POST", "/snapshot/{snapshot_id}/metadata", async ({ params, req }) => {
    const body = parse(metadataSchema, await readRequiredJson(req), "body");
    const record = store.snapshotOf(params[0]!);
    record.model.metadata = { ...record.model.metadata, ...body };
    return { status: 200, json: record.model };
  });

  router.add("POST", "/instance/{instance_id}/metadata", async ({ params, req }) => {
    const body = parse(metadataSchema, await readRequiredJson(req), "body");
    const record = store.instanceOf(params[0]!);
    record.model.metadata = { ...record.model.metadata, ...body };
    return { status: 200, json: record.model };
  });

  router.add("POST", "/instance/{instance_id}/ttl", async ({ params, req }) => {
    const body = parse(updateTtlRequestSchema, await readRequiredJson(req), "body");
    const record = store.instanceOf(params[0]!);
    // The spec sets no minimum: a TTL of 0 or less expires at once. `ttl_action` "defaults to the current action or 'stop'".
    store.setTtl(record, body.ttl_seconds, body.ttl_action ?? record.model.ttl.ttl_action ?? "stop");
    return { status: 200, json: record.model };
  });

  // Stored and answered; nothing wakes a paused instance on SSH or HTTP here.
  router.add("POST", "/instance/{instance_id}/wake-on", async ({ params, req }) => {
    const body = parse(updateWakeRequestSchema, await readRequiredJson(req), "body");
    const record = store.instanceOf(params[0]!);
    record.model.wake_on = { wake_on_ssh: body.wake_on_ssh, wake_on_http: body.wake_on_http };
    return { status: 200, json: record.model };
  });

  const keyAnswer = (record: InstanceRecord) => ({ status: 200, json: { object: "instance_ssh_key", ...record.sshKey! } });

  router.add("GET", "/instance/{instance_id}/ssh/key", ({ params }) => {
    const record = store.instanceOf(params[0]!);
    record.sshKey ??= newSshKey();
    return keyAnswer(record);
  });

  router.add("POST", "/instance/{instance_id}/ssh/key", ({ params }) => {
    const record = store.instanceOf(params[0]!);
    record.sshKey = newSshKey();
    return keyAnswer(record);
  });
}
