import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { RecordedExchange } from "@vm/morph-emulator";
import { createMorphVMProvider } from "@vm/provider-morph";
import { MORPH_ENDPOINTS, createMorphClient, instanceModelSchema } from "@vm/provider-morph/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, TEST_API_KEY, startInProcessEmulator, testImages, type TestEmulator } from "./support/emulator.js";

// Faithfulness: every answer the emulator gives to a request the provider makes is checked
// against Morph's OpenAPI spec, read from the shared reference at test time.
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown; example?: unknown }> }>;
}
const specPath = process.env.MORPH_OPENAPI_SPEC ?? join(REPO_ROOT, "packages/provider-morph/spec/morph-openapi.json");
const spec = JSON.parse(readFileSync(specPath, "utf8")) as { paths: Record<string, Record<string, Operation>>; components: unknown };

const SPEC_ID = "https://morph.invalid/openapi.json";
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: SPEC_ID, components: spec.components });

function validatorFor(schema: unknown) {
  // Spec-local refs (#/components/...) resolve against the document registered above.
  return ajv.compile({ $id: `${SPEC_ID.replace(".json", "")}/${Math.random().toString(36).slice(2)}.json`, ...rewriteRefs(schema) });
}

function rewriteRefs(node: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(node ?? {}).replace(/"#\/components\//g, `"${SPEC_ID}#/components/`)) as Record<string, unknown>;
}

const errorBody = ajv.compile({ type: "object", required: ["detail"], properties: { detail: { type: "string" } } });

const exchanges: RecordedExchange[] = [];
let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startInProcessEmulator(testImages(), (exchange) => exchanges.push(exchange));
  const provider = createMorphVMProvider({ baseUrl: emulator.apiUrl, apiKey: TEST_API_KEY });
  // Drive every endpoint the provider uses, including its error answers.
  const images = await provider.images.list();
  await provider.images.get(images[0]!.id);
  const base = await provider.snapshots.fromImage("morphvm-minimal", { digest: `faithful-${Date.now()}`, metadata: { suite: "faithful" } });
  await provider.snapshots.get(base.id);
  await provider.snapshots.list({ metadata: { suite: "faithful" } });
  await provider.snapshots.list({ digest: base.digest! });
  const vm = await provider.instances.boot(base.id, { metadata: { suite: "faithful" }, ttl_seconds: 600, ttl_action: "terminate" });
  await provider.instances.list({ metadata: { suite: "faithful" } });
  await provider.instances.exec(vm.id, ["echo", "hi"]);
  for await (const chunk of provider.instances.execStream(vm.id, ["bash", "-c", "echo out; echo err >&2"])) void chunk;
  const saved = await provider.snapshots.create(vm.id, { metadata: { suite: "faithful" } });
  const forks = await provider.instances.fork(vm.id, 2);
  await provider.instances.stop(forks[0]!.id);
  await provider.instances.get(forks[0]!.id);
  await provider.instances.pause(forks[1]!.id);
  await provider.instances.resume(forks[1]!.id);
  await provider.instances.expose(vm.id, 8080, { name: "faithful" });
  await provider.instances.unexpose(vm.id, "faithful");
  await provider.instances.unexpose(vm.id, "faithful").catch(() => undefined); // 404
  await provider.snapshots.delete(base.id).catch(() => undefined); // 409: in use
  await provider.instances.get("morphvm_does_not_exist").catch(() => undefined); // 404
  await provider.snapshots.get("snapshot_does_not_exist").catch(() => undefined); // 404
  await createMorphVMProvider({ baseUrl: emulator.apiUrl, apiKey: "wrong-key" }).instances.list().catch(() => undefined); // 401
  await createMorphClient({ baseUrl: emulator.apiUrl, apiKey: TEST_API_KEY })
    .request({ method: "POST", path: `instance/${vm.id}/exec`, operation: "x", json: {}, schema: instanceModelSchema, idempotent: false })
    .catch(() => undefined); // 422
  for (const fork of forks) await provider.instances.terminate(fork.id);
  await provider.instances.terminate(vm.id);
  await provider.snapshots.delete(saved.id);
  for (const s of await provider.snapshots.list()) await provider.snapshots.delete(s.id).catch(() => undefined);
}, 600_000);

afterAll(async () => {
  await emulator?.stop();
});

describe("emulator answers match Morph's OpenAPI spec", () => {
  it("the provider calls only endpoints of the spec, and the scenario covered all of them", () => {
    for (const endpoint of MORPH_ENDPOINTS) {
      expect(spec.paths[endpoint.path]?.[endpoint.method.toLowerCase()], `${endpoint.method} ${endpoint.path} is in the spec`).toBeDefined();
    }
    const called = new Set(exchanges.map((e) => `${e.method} ${e.route}`));
    const declared = new Set(MORPH_ENDPOINTS.map((e) => `${e.method} ${e.path}`));
    expect([...called].filter((c) => !declared.has(c))).toEqual([]);
    expect([...declared].filter((d) => !called.has(d))).toEqual([]);
  });

  it("saw the error statuses it meant to", () => {
    const statuses = new Set(exchanges.map((e) => e.status));
    for (const status of [200, 204, 401, 404, 409, 422]) expect(statuses.has(status), `status ${status}`).toBe(true);
  });

  it("every answer validates against the spec's schema for its operation and status", () => {
    const failures: string[] = [];
    for (const exchange of exchanges) {
      const operation = spec.paths[exchange.route]?.[exchange.method.toLowerCase()];
      const where = `${exchange.method} ${exchange.route} -> ${exchange.status}`;
      if (!operation) {
        failures.push(`${where}: not in the spec`);
        continue;
      }
      const declared = operation.responses[String(exchange.status)];
      if (!declared) {
        // Statuses the spec leaves implicit (401, 404, 409): FastAPI's error body.
        if (exchange.status < 400) failures.push(`${where}: success status not declared by the spec`);
        else if (!errorBody(exchange.body)) failures.push(`${where}: error body is not {"detail": string}`);
        continue;
      }
      const content = declared.content ?? {};
      if (Object.keys(content).length === 0) {
        if (exchange.body !== undefined) failures.push(`${where}: spec declares no body, got one`);
        continue;
      }
      if (content["application/json"]) {
        if (exchange.contentType !== "application/json") failures.push(`${where}: content-type ${exchange.contentType}`);
        const validate = validatorFor(content["application/json"].schema);
        if (!validate(exchange.body)) failures.push(`${where}: ${ajv.errorsText(validate.errors)}`);
        continue;
      }
      if (content["text/event-stream"]) {
        if (exchange.contentType !== "text/event-stream") failures.push(`${where}: content-type ${exchange.contentType}`);
        // The spec documents the event stream by example: the events' shape is taken from it.
        const example = String(content["text/event-stream"].schema ? (content["text/event-stream"].schema as { example?: string }).example : "");
        const exampleEvents = parseEvents(example.replace(/\\n/g, "\n"));
        const keys = new Set(exampleEvents.flatMap((e) => Object.keys(e)));
        const types = new Set(exampleEvents.map((e) => e.type));
        const events = parseEvents(String(exchange.body));
        if (events.length === 0) failures.push(`${where}: no events`);
        for (const event of events) {
          if (Object.keys(event).some((k) => !keys.has(k))) failures.push(`${where}: event keys ${Object.keys(event).join(",")}`);
          if (!["stdout", "stderr", ...types].includes(event.type)) failures.push(`${where}: event type ${String(event.type)}`);
          if (event.type === "exit_code" && !Number.isInteger(event.content)) failures.push(`${where}: exit_code content`);
          if (event.type !== "exit_code" && typeof event.content !== "string") failures.push(`${where}: output content`);
        }
        expect(events.filter((e) => e.type === "exit_code")).toHaveLength(1);
        expect(events.at(-1)?.type).toBe("exit_code");
        continue;
      }
      failures.push(`${where}: unexpected content types ${Object.keys(content).join(",")}`);
    }
    expect(exchanges.length).toBeGreaterThan(20);
    expect(failures).toEqual([]);
  });
});

function parseEvents(text: string): Record<string, unknown>[] {
  return text
    .split("\n\n")
    .map((block) => block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n"))
    .filter((data) => data !== "")
    .map((data) => JSON.parse(data) as Record<string, unknown>);
}
