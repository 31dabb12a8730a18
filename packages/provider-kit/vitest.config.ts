import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/provider-kit",
    include: ["src/**/*.test.ts"],
    // These unit tests run real bash processes (tens of ms each on a loaded machine).
    testTimeout: 120_000,
  },
});
