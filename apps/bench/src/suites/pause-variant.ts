import type { VMProvider } from "@vm/core";
import type { Variant } from "../harness.js";

/** The steps of one side of pause → resume → exec `true`. */
export interface PauseResumeSteps {
  pause: () => Promise<unknown>;
  resume: () => Promise<unknown>;
  /** Runs `true` and resolves to its exit code. */
  execTrue: () => Promise<number>;
  /** Throws unless the machine reads as running (not paused) again. */
  checkRunning: () => Promise<void>;
}

/**
 * Pause → resume → exec `true` as one timed run, checked afterwards (untimed) by the exit code
 * and by the machine reading as running again.
 *
 * @example
 * ```ts
 * const variant = pauseResumeVariant("raw", "baseline", steps);
 * ```
 */
export function pauseResumeVariant(name: string, kind: "ours" | "baseline", steps: PauseResumeSteps): Variant {
  let exitCode: number | undefined;
  return {
    name,
    kind,
    run: async () => {
      exitCode = undefined;
      await steps.pause();
      await steps.resume();
      exitCode = await steps.execTrue();
    },
    verify: async () => {
      if (exitCode !== 0) throw new Error(`exec after resume exited ${exitCode}`);
      await steps.checkRunning();
    },
  };
}

/**
 * Ours, on any provider: `pause`, `resume`, `exec`; `get()` must read `ready` afterwards.
 *
 * @example
 * ```ts
 * const variant = pauseResumeExec(provider, instanceId);
 * ```
 */
export function pauseResumeExec(provider: VMProvider, id: string): Variant {
  return pauseResumeVariant("ours: pause + resume + exec", "ours", {
    pause: () => provider.instances.pause(id),
    resume: () => provider.instances.resume(id),
    execTrue: async () => (await provider.instances.exec(id, ["true"])).exit_code,
    checkRunning: async () => {
      const status = (await provider.instances.get(id)).status;
      if (status !== "ready") throw new Error(`status ${status} after resume`);
    },
  });
}
