import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/core",
    // Liveness bound, not a performance claim: tests that spawn real shells run slowly on a loaded 2-core CI machine.
    testTimeout: 60_000,
    include: ["src/**/*.test.ts"],
  },
});
