import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/provider-kit",
    include: ["src/**/*.test.ts"],
    // These unit tests run real bash processes (tens of ms each on a loaded machine).
    testTimeout: 120_000,
    // bash started with its stdin on a socket (Node's stdio pipes are socketpairs) and no
    // SHLVL thinks rshd/sshd started it and sources ~/.bashrc: on a machine whose .bashrc runs
    // `pyenv init` that is ~180 ms per shell. turbo's strict env mode drops SHLVL, which made
    // these tests 9x slower under `turbo run test` (178 s instead of 20 s for provider-kit).
    env: { SHLVL: process.env.SHLVL || "1" },
  },
});
