import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/pm2",
    include: ["src/**/*.test.ts"],
  },
});
