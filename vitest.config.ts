import { defineConfig } from "vitest/config";

// One unit project per package (each package's own vitest.config.ts, src/**/*.test.ts),
// plus one `integration` project for tests that need a Docker engine or HTTP servers (packages/*/test, apps/*/test).
export default defineConfig({
  test: {
    projects: [
      "packages/*/vitest.config.ts",
      "apps/*/vitest.config.ts",
      {
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "test/**/*.test.ts"],
          globalSetup: ["./test-setup/global-setup.ts"],
          setupFiles: ["./test-setup/env.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          pool: "forks",
          maxWorkers: 3,
          reporters: ["default"],
        },
      },
    ],
  },
});
