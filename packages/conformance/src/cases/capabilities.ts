import { strict as assert } from "node:assert";
import type { ProviderCapabilities } from "@vm/core";
import { expectVMError } from "../assertions.js";
import type { Capability, CaseContext, ConformanceCase } from "../types.js";
import { missingId } from "./util.js";

/** Every capability key, in the order of `ProviderCapabilities`. */
export const CAPABILITIES: readonly Capability[] = [
  "fork",
  "ttl",
  "snapshots",
  "fromImage",
  "images",
  "stdin",
  "execUser",
  "execStream",
  "stop",
  "pause",
  "fileOwnership",
  "processes",
  "resources",
  "expose",
  "stdinStream",
  "ttlPause",
];

// How to call the operation each capability gates.
const PROBES: Partial<Record<Capability, (ctx: CaseContext) => Promise<unknown>>> = {
  fork: async (ctx) => ctx.fork(await ctx.sharedInstance(), 1),
  ttl: async (ctx) => ctx.boot({ ttl_seconds: 600, ttl_action: "terminate" }),
  snapshots: async (ctx) => ctx.createSnapshot(await ctx.sharedInstance()),
  fromImage: async (ctx) => ctx.fromImage(ctx.imageId ?? missingId("image")),
  images: (ctx) => ctx.provider.images.list(),
  stdin: async (ctx) => ctx.provider.instances.exec(await ctx.sharedInstance(), ["cat"], { stdin: "x" }),
  execUser: async (ctx) => ctx.provider.instances.exec(await ctx.sharedInstance(), ["id"], { user: "root" }),
  execStream: async (ctx) => {
    for await (const chunk of ctx.provider.instances.execStream(await ctx.sharedInstance(), ["true"])) void chunk;
  },
  fileOwnership: async (ctx) => ctx.provider.files.writeFileAtomic(await ctx.sharedInstance(), `/tmp/${ctx.unique("own")}`, "x", { owner: "root" }),
  processes: async (ctx) => ctx.provider.processes.list(await ctx.sharedInstance()),
  resources: (ctx) => ctx.boot({ resources: { memoryMb: 512 } }),
  pause: async (ctx) => ctx.provider.instances.pause(await ctx.sharedInstance()),
  expose: async (ctx) => ctx.provider.instances.expose(await ctx.sharedInstance(), 8080),
  stdinStream: async (ctx) =>
    ctx.provider.instances.exec(await ctx.sharedInstance(), ["cat"], {
      stdin: (async function* () {
        yield await Promise.resolve("x");
      })(),
    }),
  ttlPause: (ctx) => ctx.boot({ ttl_seconds: 600, ttl_action: "pause" }),
};

function unsupportedCase(capability: Capability, probe: (ctx: CaseContext) => Promise<unknown>): ConformanceCase {
  return {
    id: `capabilities.unsupported-${capability}`,
    title: `with ${capability} declared false, the operation throws UNSUPPORTED`,
    level: "MUST",
    needs: [],
    lacks: [capability],
    async run(ctx) {
      await expectVMError(() => probe(ctx), "UNSUPPORTED");
    },
  };
}

/**
 * Capability cases: the provider's `capabilities` match what the target declares, and every
 * capability declared `false` makes its operation throw `UNSUPPORTED`.
 */
export const capabilityCases: readonly ConformanceCase[] = [
  {
    id: "provider.identity",
    title: "the provider has a name, a version and all sixteen capability flags",
    level: "MUST",
    needs: [],
    run(ctx) {
      const { provider } = ctx;
      assert.equal(typeof provider.name, "string");
      assert.ok(provider.name.length > 0, "name is non-empty");
      assert.match(provider.version, /^\d+\.\d+\.\d+/, "version is semver");
      const declared: ProviderCapabilities = provider.capabilities;
      assert.deepEqual(Object.keys(declared).sort(), [...CAPABILITIES].sort());
      for (const key of CAPABILITIES) assert.equal(typeof declared[key], "boolean", `capabilities.${key} is a boolean`);
      return Promise.resolve();
    },
  },
  {
    id: "capabilities.declared",
    title: "provider.capabilities equals what the target claims",
    level: "MUST",
    needs: [],
    run(ctx) {
      assert.deepEqual({ ...ctx.provider.capabilities }, { ...ctx.capabilities });
      return Promise.resolve();
    },
  },
  ...Object.entries(PROBES).map(([capability, probe]) => unsupportedCase(capability as Capability, probe)),
];
