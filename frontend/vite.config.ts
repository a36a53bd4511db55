import { cpSync, createReadStream, existsSync, mkdirSync } from "node:fs";
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

// The voice-activity detector's files, fetched from /vad/ when hands-free or "say it again" first
// listens: its AudioWorklet, the Silero VAD model and onnxruntime's WebAssembly build.
const vadFiles: Record<string, string> = {
  "vad.worklet.bundle.min.js": "node_modules/@ricky0123/vad-web/dist/vad.worklet.bundle.min.js",
  "silero_vad_v5.onnx": "node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx",
  "ort-wasm-simd-threaded.wasm": "node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm",
  "ort-wasm-simd-threaded.mjs": "node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs",
};
const vadTypes: Record<string, string> = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".onnx": "application/octet-stream",
  ".wasm": "application/wasm",
};
function voiceDetector(): Plugin {
  const source = (name: string) => fileURLToPath(new URL(vadFiles[name], import.meta.url));
  return {
    name: "voice-detector",
    configureServer(server) {
      server.middlewares.use("/vad", (request, response, next) => {
        const name = (request.url ?? "").replace(/^\/+/, "").split("?")[0];
        if (!(name in vadFiles)) return next();
        response.setHeader("content-type", vadTypes[name.slice(name.lastIndexOf("."))]);
        createReadStream(source(name)).pipe(response);
      });
    },
    writeBundle(options) {
      const dir = join(options.dir ?? "dist", "vad");
      mkdirSync(dir, { recursive: true });
      for (const name of Object.keys(vadFiles)) cpSync(source(name), join(dir, name));
    },
  };
}

export default defineConfig({
  plugins: [svelte(), kuromojiDictionary(), voiceDetector()],
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
