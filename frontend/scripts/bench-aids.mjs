// What the reading aids cost: the bytes a browser fetches for each language (the analyser's
// chunk of the built site, and for Japanese its dictionary), and in Node the time to load each
// analyser and to annotate a tutor's line. `npm run build` first; `node scripts/bench-aids.mjs`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const assets = join(root, "dist", "assets");
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
const chunk = (pattern) => {
  const name = readdirSync(assets).find((file) => pattern.test(file));
  if (!name) return "(not built)";
  const bytes = readFileSync(join(assets, name));
  return `${kib(bytes.length)} (${kib(gzipSync(bytes).length)} gzipped)`;
};
const dictionary = join(root, "dist", "dict");
const dictionaryBytes = readdirSync(dictionary).reduce(
  (sum, file) => sum + statSync(join(dictionary, file)).size,
  0,
);

// The module as the site has it, compiled by Vite for Node.
const { createServer } = await import("vite");
const vite = await createServer({ root, logLevel: "error", server: { middlewareMode: true } });
const { annotate, setDictionaryPath } = await vite.ssrLoadModule("/src/lib/readingAids.ts");
setDictionaryPath(join(root, "node_modules/@sglkc/kuromoji/dict/"));
const lines = {
  "ja-JP": "450円です。店内でお召し上がりですか、それともお持ち帰りですか？",
  "zh-CN": "一共二十八块。你在这儿喝还是带走？我们银行旁边还有一家店。",
  "ko-KR": "4,500원입니다. 드시고 가세요, 아니면 포장해 드릴까요? 같이 드실 것도 있어요.",
};
const chunks = { "ja-JP": /^kuromoji-/, "zh-CN": /^esm-/, "ko-KR": /^dist-/ };
console.log("language | fetched once | first line (load + annotate) | a line after that");
for (const [language, line] of Object.entries(lines)) {
  const first = performance.now();
  await annotate(language, line);
  const loaded = performance.now() - first;
  const runs = 200;
  const start = performance.now();
  for (let i = 0; i < runs; i++) await annotate(language, line);
  const each = (performance.now() - start) / runs;
  const fetched =
    language === "ja-JP"
      ? `${chunk(chunks[language])} + dictionary ${kib(dictionaryBytes)}`
      : chunk(chunks[language]);
  console.log(`${language} | ${fetched} | ${loaded.toFixed(0)} ms | ${each.toFixed(2)} ms`);
}
await vite.close();
