import { describe, expect, it } from "vitest";
import type { VMProvider } from "@vm/core";
import { VMError } from "@vm/provider-kit";
import { createResourceTracker } from "./tracker.js";

// A unit test of the tracker alone: the provider is a recording stub.
function recordingProvider(fail: Record<string, Error> = {}) {
  const calls: string[] = [];
  const provider = {
    instances: {
      terminate: (id: string) => {
        calls.push(`terminate ${id}`);
        return fail[id] ? Promise.reject(fail[id]) : Promise.resolve();
      },
    },
    snapshots: {
      delete: (id: string) => {
        calls.push(`delete ${id}`);
        return fail[id] ? Promise.reject(fail[id]) : Promise.resolve();
      },
    },
  } as unknown as VMProvider;
  return { provider, calls };
}

describe("createResourceTracker", () => {
  it("removes resources newest first", async () => {
    const { provider, calls } = recordingProvider();
    const track = createResourceTracker(provider);
    track.snapshot("s1");
    track.instance("i1");
    track.add("process p", () => {
      calls.push("delete process p");
      return Promise.resolve();
    });
    expect(track.pending()).toEqual(["snapshot s1", "instance i1", "process p"]);
    expect(await track.cleanup()).toEqual([]);
    expect(calls).toEqual(["delete process p", "terminate i1", "delete s1"]);
    expect(track.pending()).toEqual([]);
  });

  it("counts NOT_FOUND as removed and reports other failures without stopping", async () => {
    const { provider, calls } = recordingProvider({
      gone: new VMError("NOT_FOUND", "gone"),
      stuck: new VMError("CONFLICT", "in use"),
    });
    const track = createResourceTracker(provider);
    track.snapshot("stuck");
    track.instance("gone");
    track.instance("ok");
    const errors = await track.cleanup();
    expect(calls).toEqual(["terminate ok", "terminate gone", "delete stuck"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain("snapshot stuck");
    expect((errors[0]!.cause as VMError).code).toBe("CONFLICT");
  });
});
