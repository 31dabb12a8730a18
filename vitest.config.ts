import { existsSync } from "node:fs";
import { defineConfig } from "vitest/config";
import type { Reporter } from "vitest/node";

// The @vm/conformance reporter writes reports/conformance/ (JUnit + matrix) and regenerates
// docs/conformance-matrix.md after every run that included conformance tests. It loads from the
// package's build (`pnpm build` runs before the integration tests); without it the run still works.
const conformanceReporterUrl = new URL("./packages/conformance/dist/reporter-entry.js", import.meta.url);
const conformanceReporters = existsSync(conformanceReporterUrl)
  ? [
      ((await import(conformanceReporterUrl.href)) as { createConformanceReporter: (options: object) => Reporter }).createConformanceReporter({
        matrixFile: "docs/conformance-matrix.md",
        readmeFiles: ["packages/conformance/README.md"],
      }),
    ]
  : [];
if (conformanceReporters.length === 0) console.warn("[vitest] @vm/conformance is not built: no conformance report this run (run `pnpm build`).");

// One unit project per package (each package's own vitest.config.ts, src/**/*.test.ts),
// plus one `integration` project for tests that need a Docker engine or HTTP servers (packages/*/test, apps/*/test).
export default defineConfig({
  test: {
    // Reporters are a root-only option in vitest (ignored inside a project).
    reporters: ["default", ...conformanceReporters],
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
        },
      },
    ],
  },
});
