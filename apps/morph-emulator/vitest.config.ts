import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "@vm/morph-emulator",
    include: ["src/**/*.test.ts"],
  },
});
