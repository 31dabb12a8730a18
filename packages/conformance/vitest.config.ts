import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/conformance",
    include: ["src/**/*.test.ts"],
  },
});
