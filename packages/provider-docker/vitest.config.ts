import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/provider-docker",
    include: ["src/**/*.test.ts"],
  },
});
