import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/bench",
    include: ["src/**/*.test.ts"],
  },
});
