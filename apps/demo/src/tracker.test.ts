import type { VMProvider } from "@vm/core";
import { VMError } from "@vm/provider-kit";
import { describe, expect, it } from "vitest";
import { createResourceTracker } from "./tracker.js";

// A unit test of the tracker's ordering and error handling only: the integration tests
// prove the cleanup against a real engine.
function recordingProvider(behaviour: { terminate?: (id: string) => void; deleteSnapshot?: (id: string, attempt: number) => void }) {
  const calls: string[] = [];
  const attempts = new Map<string, number>();
  const provider = {
    instances: {
      terminate: async (id: string) => {
        calls.push(`terminate ${id}`);
        behaviour.terminate?.(id);
      },
    },
    snapshots: {
      delete: async (id: string) => {
        const attempt = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, attempt);
        calls.push(`delete ${id}`);
        behaviour.deleteSnapshot?.(id, attempt);
      },
    },
  } as unknown as VMProvider;
  return { provider, calls };
}

describe("createResourceTracker", () => {
  it("terminates instances newest first, then deletes snapshots newest first", async () => {
    const tracker = createResourceTracker();
    tracker.addSnapshot("base");
    tracker.addInstance("parent");
    tracker.addSnapshot("snap");
    tracker.addInstance("fork-1");
    tracker.addInstance("fork-2");
    const { provider, calls } = recordingProvider({});
    const entries = await tracker.cleanup(provider);
    expect(calls).toEqual(["terminate fork-2", "terminate fork-1", "terminate parent", "delete snap", "delete base"]);
    expect(entries.every((e) => e.ok && e.outcome === "removed")).toBe(true);
    expect(tracker.instances).toEqual([]);
    expect(tracker.snapshots).toEqual([]);
    expect(tracker.created).toEqual({ instances: ["parent", "fork-1", "fork-2"], snapshots: ["base", "snap"] });
  });

  it("counts NOT_FOUND as already gone, keeps failures for a retry", async () => {
    const tracker = createResourceTracker();
    tracker.addInstance("gone");
    tracker.addInstance("stuck");
    const { provider } = recordingProvider({
      terminate: (id) => {
        if (id === "gone") throw new VMError("NOT_FOUND", "no such instance");
        throw new VMError("UNAVAILABLE", "engine down");
      },
    });
    const entries = await tracker.cleanup(provider);
    expect(entries.map((e) => [e.id, e.outcome, e.error?.code])).toEqual([
      ["stuck", "failed", "UNAVAILABLE"],
      ["gone", "already-gone", undefined],
    ]);
    expect(tracker.instances).toEqual(["stuck"]);
  });

  it("retries a snapshot delete while it answers CONFLICT", async () => {
    const tracker = createResourceTracker({ retryDelayMs: 1 });
    tracker.addSnapshot("busy");
    const { provider, calls } = recordingProvider({
      deleteSnapshot: (_id, attempt) => {
        if (attempt < 3) throw new VMError("CONFLICT", "in use");
      },
    });
    const [entry] = await tracker.cleanup(provider);
    expect(entry?.outcome).toBe("removed");
    expect(calls).toEqual(["delete busy", "delete busy", "delete busy"]);
  });

  it("gives up on CONFLICT after the retry window", async () => {
    const tracker = createResourceTracker({ retryDelayMs: 1, conflictRetryMs: 20 });
    tracker.addSnapshot("busy");
    const { provider } = recordingProvider({
      deleteSnapshot: () => {
        throw new VMError("CONFLICT", "in use");
      },
    });
    const [entry] = await tracker.cleanup(provider);
    expect(entry).toMatchObject({ ok: false, outcome: "failed", error: { code: "CONFLICT" } });
    expect(tracker.snapshots).toEqual(["busy"]);
  });

  it("shares one run between concurrent cleanups", async () => {
    const tracker = createResourceTracker();
    tracker.addInstance("a");
    const { provider, calls } = recordingProvider({});
    const [first, second] = await Promise.all([tracker.cleanup(provider), tracker.cleanup(provider)]);
    expect(first).toBe(second);
    expect(calls).toEqual(["terminate a"]);
  });
});
