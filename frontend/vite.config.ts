import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [svelte()],
  build: {
    // One JS and one CSS file, loaded from the site itself (the CSP allows nothing else).
    target: "es2022",
    modulePreload: { polyfill: false },
  },
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/unit/**/*.test.mjs"],
    environment: "jsdom",
  },
});
