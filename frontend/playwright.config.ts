import { defineConfig } from "@playwright/test";

// Debian's Chromium, not a downloaded browser; the site and the API are started by scripts/e2e.sh.
export default defineConfig({
  testDir: "tests/e2e",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // Two browsers at once on the site's tests; the journey across days moves the stack's clock for
  // every function, so its tests run alone, after the others.
  workers: 2,
  // The offline demo's tests run against a stack of their own, with no model (scripts/e2e.sh).
  projects: [
    { name: "site", testMatch: /(site|mail)\.spec\.ts/, fullyParallel: true },
    { name: "journey", testMatch: /journey\.spec\.ts/, dependencies: ["site"] },
    { name: "demo", testMatch: /demo\.spec\.ts/, fullyParallel: true },
  ],
  // A test that fails once on a loaded CI machine runs again, and is reported as flaky.
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: process.env.ROLECHAT_SITE_URL ?? "http://127.0.0.1:9483",
    locale: "en-US",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
