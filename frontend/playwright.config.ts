import { defineConfig } from "@playwright/test";

const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

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
    { name: "journey", testMatch: /journey\.spec\.ts/, dependencies: ["site", "speech"] },
    // Speech: a microphone that says one line (a WAV espeak-ng made, scripts/e2e.sh), once.
    {
      name: "speech",
      testMatch: /speech\.spec\.ts/,
      use: {
        launchOptions: {
          executablePath: chromium,
          args: [
            ...chromiumArgs,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            `--use-file-for-fake-audio-capture=${process.env.ROLECHAT_FAKE_MIC ?? "/dev/null"}%noloop`,
          ],
        },
      },
    },
    { name: "demo", testMatch: /demo\.spec\.ts/, fullyParallel: true },
  ],
  // A test that fails once on a loaded CI machine runs again, and is reported as flaky.
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: process.env.ROLECHAT_SITE_URL ?? "http://127.0.0.1:9483",
    locale: "en-US",
    launchOptions: { executablePath: chromium, args: chromiumArgs },
  },
});
