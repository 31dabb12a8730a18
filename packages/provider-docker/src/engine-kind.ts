import type Dockerode from "dockerode";

/**
 * Which engine serves the Docker API. Read from `GET /version` once per provider, and used only
 * where the engines' behaviour must differ (see docs/engines.md): Podman's `POST /commit`
 * ignores the JSON body, so a snapshot's labels go through `changes` there.
 */
export type EngineKind = "docker" | "podman";

interface VersionAnswer {
  Components?: { Name?: string }[] | null;
  Platform?: { Name?: string } | null;
}

/** Podman names itself in `Components` ("Podman Engine") and `Platform.Name`; Docker never does. */
export function engineKindOf(version: VersionAnswer): EngineKind {
  const names = [version.Platform?.Name ?? "", ...(version.Components ?? []).map((c) => c.Name ?? "")];
  return names.some((name) => /podman/i.test(name)) ? "podman" : "docker";
}

/**
 * A memoised engine probe. A failed probe is not remembered (the engine may be starting), so
 * the next call asks again.
 */
export function engineKindProbe(docker: Dockerode): () => Promise<EngineKind> {
  let known: Promise<EngineKind> | undefined;
  return () => {
    known ??= (docker.version() as Promise<VersionAnswer>).then(engineKindOf).catch((err: unknown) => {
      known = undefined;
      throw err;
    });
    return known;
  };
}
