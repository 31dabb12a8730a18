import type { ExecFunction } from "@vm/core";
import { VMError } from "../errors.js";

/**
 * An `exec` to hand to the services built before the one that runs commands (snapshots'
 * `pm2 save`, files, processes), with `bind()` to point it at the instance service's `exec`
 * once that exists.
 *
 * @example
 * ```ts
 * import type { LateBoundExec } from "@vm/provider-kit";
 * const wire = (late: LateBoundExec, exec: LateBoundExec["exec"]) => late.bind(exec);
 * ```
 */
export interface LateBoundExec {
  /** Calls the bound `exec`; before `bind()`, rejects with `INTERNAL`. */
  readonly exec: ExecFunction;
  /** Points `exec` at `target`; a second call throws `INTERNAL` (the wiring is done once). */
  readonly bind: (target: ExecFunction) => void;
}

/**
 * An `exec` bound later (see `LateBoundExec`), for a provider whose services need each other:
 * the instance service runs commands, and services made before it (or passed into it) run
 * commands through it.
 *
 * @example
 * ```ts
 * import type { VMInstanceService } from "@vm/core";
 * import { lateBoundExec } from "@vm/provider-kit";
 * function wire(makeInstances: (exec: VMInstanceService["exec"]) => VMInstanceService) {
 *   const late = lateBoundExec("my-provider");
 *   const instances = makeInstances(late.exec);
 *   late.bind(instances.exec.bind(instances));
 *   return instances;
 * }
 * ```
 */
export function lateBoundExec(provider: string): LateBoundExec {
  let target: ExecFunction | undefined;
  return {
    exec: (...args) => {
      if (target === undefined) return Promise.reject(new VMError("INTERNAL", "exec was called before the provider finished setting up", { provider, operation: "instances.exec" }));
      return target(...args);
    },
    bind: (next) => {
      if (target !== undefined) throw new VMError("INTERNAL", "exec is already bound", { provider, operation: "lateBoundExec.bind" });
      target = next;
    },
  };
}
