import { describe, expect, it } from "vitest";
import type { DockerContext } from "./context.js";
import { DOCKER_LABELS } from "./labels.js";
import { isSnapshotSource, snapshotSourceLabels, sourceAbandonedAt } from "./snapshot-source.js";

const ctx = { extraLabels: { team: "a" }, bootTimeoutMs: 60_000 } as unknown as DockerContext;

describe("snapshot source containers", () => {
  it("are labelled as this provider's, with the provider's labels and a deadline bootTimeoutMs from now", () => {
    const labels = snapshotSourceLabels(ctx, Date.parse("2026-01-01T00:00:00Z"));
    expect(labels).toEqual({
      team: "a",
      [DOCKER_LABELS.managed]: "true",
      [DOCKER_LABELS.kind]: "snapshot-source",
      [DOCKER_LABELS.sourceDeadline]: "2026-01-01T00:01:00.000Z",
    });
    expect(isSnapshotSource(labels)).toBe(true);
    expect(isSnapshotSource({ ...labels, [DOCKER_LABELS.kind]: "instance" })).toBe(false);
    expect(isSnapshotSource({ [DOCKER_LABELS.kind]: "snapshot-source" })).toBe(false);
    expect(isSnapshotSource(undefined)).toBe(false);
  });

  it("are abandoned at their deadline, or 10 minutes after creation when unlabelled or unreadable", () => {
    const created = Date.parse("2026-01-01T00:00:00Z") / 1000;
    expect(sourceAbandonedAt({ [DOCKER_LABELS.sourceDeadline]: "2026-01-01T00:00:05.000Z" }, created)).toBe(Date.parse("2026-01-01T00:00:05Z"));
    expect(sourceAbandonedAt({}, created)).toBe(Date.parse("2026-01-01T00:10:00Z"));
    expect(sourceAbandonedAt({ [DOCKER_LABELS.sourceDeadline]: "soon" }, created)).toBe(Date.parse("2026-01-01T00:10:00Z"));
    expect(sourceAbandonedAt(undefined, created)).toBe(Date.parse("2026-01-01T00:10:00Z"));
  });
});
