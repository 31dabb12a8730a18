import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";

// How the official Morph TypeScript SDK (morphcloud 0.0.20, `MorphCloudClient.request`) talks to
// the API, restated here so a test can send exactly its requests without depending on it:
// - every request carries `Content-Type: application/json`, `Accept: application/json` and the
//   Bearer key, with or without a body (GET and DELETE too);
// - a body is `JSON.stringify(data)` when `data` is given, so fields set to `undefined` vanish;
// - the query is `new URLSearchParams(query)`, so an `undefined` value becomes the text
//   "undefined" (`instance.snapshot()` sends `?digest=undefined` when it has no digest);
// - list filters are "stripe style" (`metadata[key]=value`), appended to the path;
// - any status outside 2xx throws; a body that is not JSON reads as `{}`.

const SPEC_ID = "https://morph.invalid/openapi.json";
const specPath = join(import.meta.dirname, "../../../packages/provider-morph/spec/morph-openapi.json");

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
const spec = JSON.parse(readFileSync(specPath, "utf8")) as { paths: Record<string, Record<string, Operation>>; components: unknown };
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: SPEC_ID, components: spec.components });
let schemaCount = 0;

/** Checks an answer against the spec's response for `method route -> status`; returns what is wrong. */
export function specViolations(method: string, route: string, status: number, text: string): string[] {
  const operation = spec.paths[route]?.[method.toLowerCase()];
  if (!operation) return [`${method} ${route} is not in the spec`];
  const declared = operation.responses[String(status)];
  if (!declared) return [`${method} ${route} -> ${status}: a status the spec does not declare`];
  // A response the spec declares without content (204) must come without a body.
  if (!declared.content) return text === "" ? [] : [`${method} ${route} -> ${status}: a body where the spec declares none`];
  const schema = declared.content["application/json"]?.schema;
  if (!schema) return [`${method} ${route} -> ${status}: the spec's answer is not JSON`];
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [`${method} ${route} -> ${status}: the body is not JSON`];
  }
  // Spec-local refs (#/components/...) resolve against the document registered above.
  const rewritten = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${SPEC_ID}#/components/`)) as Record<string, unknown>;
  const validate = ajv.compile({ $id: `https://morph.invalid/answer-${schemaCount++}.json`, ...rewritten });
  return validate(body) ? [] : [`${method} ${route} -> ${status}: ${ajv.errorsText(validate.errors)}`];
}

/** One SDK-shaped call: `route` is the spec's path template, `path` the concrete one. */
export interface SdkCall {
  method: "GET" | "POST" | "DELETE";
  route: string;
  path: string;
  query?: Record<string, unknown>;
  data?: unknown;
}

/** A client that sends requests the way the SDK does and checks each answer against the spec. */
export function sdkClient(baseUrl: string, apiKey: string) {
  const violations: string[] = [];
  async function request<T = Record<string, unknown>>(call: SdkCall): Promise<T> {
    const uri = new URL(baseUrl + call.path);
    if (call.query) uri.search = new URLSearchParams(call.query as Record<string, string>).toString();
    const response = await fetch(uri, {
      method: call.method,
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${apiKey}` },
      body: call.data ? JSON.stringify(call.data) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP Error ${response.status} for ${call.method} ${call.route}: ${text}`);
    let body: unknown = {};
    try {
      body = JSON.parse(text);
    } catch {
      // The SDK reads a body that is not JSON as {}.
    }
    violations.push(...specViolations(call.method, call.route, response.status, text));
    return body as T;
  }
  /** `metadata[key]=value` pairs, as the SDK appends them to a list path. */
  function stripe(metadata: Record<string, string>): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(metadata)) params.append(`metadata[${key}]`, value);
    return `?${params.toString()}`;
  }
  return { request, stripe, violations };
}
