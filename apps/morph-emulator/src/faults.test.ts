import { describe, expect, it } from "vitest";
import { createFaultQueue, faultSchema } from "./faults.js";

describe("fault queue", () => {
  it("applies a fault to the next N matching requests only", () => {
    const queue = createFaultQueue();
    queue.add([faultSchema.parse({ kind: "status", status: 503, count: 2, method: "GET", path: "^/instance/" })]);
    expect(queue.take("POST", "/instance/x")).toBeUndefined();
    expect(queue.take("GET", "/snapshot")).toBeUndefined();
    expect(queue.take("GET", "/instance/x")?.status).toBe(503);
    expect(queue.pending()[0]?.count).toBe(1);
    expect(queue.take("get", "/instance/y")).toBeUndefined();
    expect(queue.take("GET", "/instance/y")?.status).toBe(503);
    expect(queue.take("GET", "/instance/z")).toBeUndefined();
  });

  it("defaults count to 1 and clears", () => {
    const queue = createFaultQueue();
    queue.add([faultSchema.parse({ kind: "drop" }), faultSchema.parse({ kind: "delay", delayMs: 5 })]);
    expect(queue.take("GET", "/x")?.kind).toBe("drop");
    queue.clear();
    expect(queue.take("GET", "/x")).toBeUndefined();
  });
});
