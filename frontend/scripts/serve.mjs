// Serves the built site (dist/) on loopback with the headers it has in the cloud, above all a
// Content-Security-Policy that allows scripts only from the site and connections only to the API
// named in config.json. `node scripts/serve.mjs PORT API_BASE_URL` writes config.json first.

import { createReadStream, existsSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";

const root = resolve(import.meta.dirname, "..", "dist");
const port = Number(process.argv[2] ?? 5173);
const api = process.argv[3] ?? "http://127.0.0.1:9000";

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename);
if (isMain && !existsSync(join(root, "index.html"))) {
  console.error("dist/ has no site: run `npm run build` first");
  process.exit(1);
}

export function securityHeaders(apiBaseUrl) {
  const apiOrigin = new URL(apiBaseUrl).origin;
  return {
    "content-security-policy": [
      "default-src 'self'",
      // WebAssembly (the voice-activity detector's runtime) compiled from the site's own files.
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' data:",
      // The tutor's lines play from the audio the site fetched (object URLs).
      "media-src 'self' blob:",
      `connect-src 'self' ${apiOrigin}`,
      "font-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  };
}

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  // The analyser's dictionary: gzipped data it inflates itself, so no Content-Encoding.
  ".gz": "application/octet-stream",
};
const headers = securityHeaders(api);

/// The file under `root` a request path names, or null for a path that is malformed (a bad
/// percent-encoding) or leaves the root. The check is on `root` plus a separator, so a sibling
/// folder whose name starts like the root's (`dist-private/`) is outside it.
export function fileFor(rootDir, requestUrl) {
  let path;
  try {
    path = decodeURIComponent(new URL(requestUrl ?? "/", "http://x").pathname);
  } catch {
    return null;
  }
  if (path.includes("\0")) return null;
  const file = normalize(join(rootDir, path));
  return file === rootDir || file.startsWith(rootDir + sep) ? file : null;
}

function serve() {
  writeFileSync(join(root, "config.json"), `${JSON.stringify({ api_base_url: api })}\n`);
  createServer((request, response) => {
    let file = fileFor(root, request.url);
    if (file === null) {
      response.writeHead(400, { ...headers, "content-type": "text/plain; charset=utf-8" });
      response.end("Bad request path.\n");
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, "index.html");
    response.writeHead(200, {
      ...headers,
      "content-type": types[extname(file)] ?? "application/octet-stream",
      "cache-control":
        file.endsWith("config.json") || file.endsWith(".html") ? "no-cache" : "public, max-age=3600",
    });
    createReadStream(file).pipe(response);
  }).listen(port, "127.0.0.1", () => {
    console.log(`Rolechat site on http://127.0.0.1:${port} (API ${api})`);
  });
}

if (isMain) serve();
