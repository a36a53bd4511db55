import { cpSync, createReadStream, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// The Japanese analyser's dictionary (IPADIC, gzipped), fetched by the site from /dict/ the first
// time a room shows furigana: copied into the build, and served by the dev server.
const dictionary = fileURLToPath(new URL("node_modules/@sglkc/kuromoji/dict", import.meta.url));
function kuromojiDictionary(): Plugin {
  return {
    name: "kuromoji-dictionary",
    configureServer(server) {
      server.middlewares.use("/dict", (request, response, next) => {
        const file = join(dictionary, (request.url ?? "").replace(/^\/+/, "").split("?")[0]);
        if (!/^[\w.]+\.dat\.gz$/.test(file.slice(dictionary.length + 1)) || !existsSync(file)) return next();
        response.setHeader("content-type", "application/octet-stream");
        createReadStream(file).pipe(response);
      });
    },
    writeBundle(options) {
      cpSync(dictionary, join(options.dir ?? "dist", "dict"), { recursive: true });
    },
  };
}

export default defineConfig({
  plugins: [svelte(), kuromojiDictionary()],
  build: {
    // One JS and one CSS file, loaded from the site itself (the CSP allows nothing else); the
    // reading aids' analysers are chunks of their own, loaded when a room first shows them.
    target: "es2022",
    modulePreload: { polyfill: false },
  },
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/unit/**/*.test.mjs"],
    environment: "jsdom",
  },
});
