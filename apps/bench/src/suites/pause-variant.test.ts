import { describe, expect, it } from "vitest";
import { runCase } from "../harness.js";
import { pauseResumeVariant } from "./pause-variant.js";

describe("pauseResumeVariant", () => {
  const steps = (order: string[], exitCode: number, running: boolean) => ({
    pause: async () => void order.push("pause"),
    resume: async () => void order.push("resume"),
    execTrue: async () => (order.push("exec"), exitCode),
    checkRunning: async () => {
      order.push("check");
      if (!running) throw new Error("still paused");
    },
  });

  it("times pause, resume and exec in that order and checks afterwards", async () => {
    const order: string[] = [];
    const result = await runCase({ id: "p", group: "g", title: "p", metric: "latency", warmup: 0, reps: 1, variants: [pauseResumeVariant("v", "ours", steps(order, 0, true))] });
    expect(order).toEqual(["pause", "resume", "exec", "check"]);
    expect(result.variants[0]!.status).toBe("ok");
  });

  it("fails on a failed exec or a machine still paused", async () => {
    const result = await runCase({
      id: "p", group: "g", title: "p", metric: "latency", warmup: 0, reps: 1,
      variants: [pauseResumeVariant("exit", "ours", steps([], 1, true)), pauseResumeVariant("paused", "baseline", steps([], 0, false))],
    });
    expect(result.variants.map((v) => v.error)).toEqual(["exec after resume exited 1", "still paused"]);
  });
});
