// Shared pieces of the integration tests: fixture programs, polling, and one container per file.
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ExecFunction, ProcessInfo, VMProcessService } from "@vm/core";
import { createPM2ProcessService } from "@vm/pm2";
import { isVMError } from "@vm/provider-kit";
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";
import { dockerExec, removeContainer, sh, startContainer } from "./docker-exec.js";

export const SERVER_JS = `
const http = require("node:http");
const port = Number(process.env.PORT || 8080);
http.createServer((req, res) => res.end(JSON.stringify({ msg: process.env.MSG || "", instance: process.env.NODE_APP_INSTANCE }))).listen(port, () => {
  console.log("listening on " + port);
  console.error("stderr hello");
});
`;
export const CRASH_JS = `console.log("booting"); console.error("dying"); process.exit(3);\n`;
export const DUMP_JS = `
const pick = {};
for (const k of Object.keys(process.env)) if (k.startsWith("H_")) pick[k] = process.env[k];
console.log(JSON.stringify({ env: pick, argv: process.argv.slice(2) }));
setInterval(() => {}, 1 << 30);
`;

/** Polling and hook budget: the CI machine is shared and often heavily loaded. */
export const WAIT_MS = 90_000;
export const SUITE_TIMEOUT = 600_000;

export const byName = (list: ProcessInfo[], name: string) => list.filter((p) => p.name === name);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(300);
    value = await read();
  }
  return value;
}

export async function httpGet(id: string, port: number): Promise<string> {
  return sh(id, `node -e 'fetch("http://127.0.0.1:" + process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))' ${port}`);
}

export async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err: unknown = await promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
  if (!isVMError(err)) throw err;
  return { code: err.code, message: err.message };
}

export type ReadmeExample = (exec: ExecFunction, instanceId: string) => Promise<{ list: ProcessInfo[]; logs: { out: string; err: string } }>;

// The README's first ts block, written next to this file and imported: the example that runs is the one users read.
export async function loadReadmeExample(): Promise<ReadmeExample> {
  const readme = await readFile(join(import.meta.dirname, "..", "README.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!code) throw new Error("README.md has no ts example");
  const file = join(import.meta.dirname, `.readme-example-${process.pid}.ts`);
  await writeFile(file, code);
  try {
    return ((await import(pathToFileURL(file).href)) as { example: ReadmeExample }).example;
  } finally {
    await rm(file, { force: true });
  }
}

export interface Suite {
  id: string;
  processes: VMProcessService;
}

/**
 * One container per test file, from the base image, with the fixture programs in /app. Every
 * test ends with nothing running (so a failed test cannot break the next), and the container is
 * removed after the file even when tests fail.
 */
export function useContainer(options: { cleanEach?: boolean } = {}): Suite {
  const suite: Suite = { id: "", processes: createPM2ProcessService(dockerExec, { provider: "docker", timeoutMs: 300_000 }) };
  beforeAll(async () => {
    suite.id = await startContainer(inject("baseImage"));
    // The programs go in as argv (sh -c script name args…), never spliced into shell text.
    const write = await dockerExec(suite.id, [
      "sh",
      "-c",
      'mkdir -p /app && printf "%s" "$1" > /app/server.js && printf "%s" "$2" > /app/crash.js && printf "%s" "$3" > /app/dump.js',
      "w",
      SERVER_JS,
      CRASH_JS,
      DUMP_JS,
    ]);
    expect(write.exit_code).toBe(0);
  }, SUITE_TIMEOUT);
  if (options.cleanEach !== false) {
    afterEach(async () => {
      if (suite.id) await suite.processes.deleteAll(suite.id).catch(() => undefined);
    }, SUITE_TIMEOUT);
  }
  afterAll(async () => {
    await removeContainer(suite.id);
  }, SUITE_TIMEOUT);
  return suite;
}
