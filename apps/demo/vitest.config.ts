import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/demo",
    include: ["src/**/*.test.ts"],
  },
});
