import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/provider-kit",
    include: ["src/**/*.test.ts"],
  },
});
