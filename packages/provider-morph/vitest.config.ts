import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/provider-morph",
    include: ["src/**/*.test.ts"],
  },
});
