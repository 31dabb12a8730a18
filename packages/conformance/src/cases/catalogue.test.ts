import { describe, expect, it } from "vitest";
import { skipReason } from "../session.js";
import { CAPABILITIES } from "./capabilities.js";
import { ALL_CASES } from "./index.js";

const all = Object.fromEntries(CAPABILITIES.map((c) => [c, true])) as Record<(typeof CAPABILITIES)[number], boolean>;

describe("the case catalogue", () => {
  it("has unique, well-formed ids and valid capability names", () => {
    const ids = ALL_CASES.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of ALL_CASES) {
      expect(c.id).toMatch(/^[a-z]+\.[a-zA-Z0-9-]+$/);
      expect(["MUST", "SHOULD"]).toContain(c.level);
      for (const need of [...c.needs, ...(c.lacks ?? [])]) expect(CAPABILITIES).toContain(need);
    }
  });

  it("covers every service method of the design document", () => {
    const text = ALL_CASES.map((c) => c.run.toString()).join("\n");
    const methods = [
      "instances.boot", "instances.get", "instances.list", "instances.stop", "instances.terminate", "fork(", "instances.exec", "instances.execStream",
      "snapshots.get", "snapshots.list", "createSnapshot(", "snapshots.delete", "fromImage(", "images.list", "images.get",
      "files.readFile", "files.readFileBytes", "files.writeFile", "files.writeFileAtomic", "files.copyFile", "files.moveFile", "files.deleteFile",
      "files.fileExists", "files.createDirectory", "files.listDirectory", "files.isDirectory", "files.deleteDirectory",
      "processes.start", "processes.stop", "processes.restart", "processes.delete", "processes.list", "processes.logs", "processes.stopAll",
      "processes.deleteAll", "processes.createProcess",
    ];
    expect(methods.filter((m) => !text.includes(m))).toEqual([]);
  });

  it("skips with the missing capability as the reason, and runs UNSUPPORTED checks only when it is missing", () => {
    const fork = ALL_CASES.find((c) => c.id === "instances.fork")!;
    expect(skipReason(fork, { capabilities: all })).toBeUndefined();
    expect(skipReason(fork, { capabilities: { ...all, fork: false } })).toBe("provider lacks fork");
    const unsupported = ALL_CASES.find((c) => c.id === "capabilities.unsupported-fork")!;
    expect(skipReason(unsupported, { capabilities: { ...all, fork: false } })).toBeUndefined();
    expect(skipReason(unsupported, { capabilities: all })).toMatch(/^provider has fork/);
  });

  it("has an UNSUPPORTED check for every capability that gates a method", () => {
    const gated = CAPABILITIES.filter((c) => c !== "pause" && c !== "stop");
    for (const capability of gated) expect(ALL_CASES.map((c) => c.id)).toContain(`capabilities.unsupported-${capability}`);
  });
});
