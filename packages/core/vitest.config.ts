import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/core",
    include: ["src/**/*.test.ts"],
  },
});
