#!/usr/bin/env bash
# The site's end-to-end tests: the built site, served with its security headers, against a fresh
# local stack with the fake model, driven by Playwright in Debian's Chromium; then the offline
# demo's tests (titled @demo) against a stack with no model.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${E2E_BASE_PORT:-9480}
site_port=$((base + 3))
export ROLECHAT_ALLOWED_ORIGINS="http://127.0.0.1:$site_port"
# Two browsers at a time: two instances of each function serve them, and the stack starts in
# little more than half the time of four (every instance is started, through `cargo run`, first).
export LOCAL_STACK_CONCURRENCY=${LOCAL_STACK_CONCURRENCY:-2}
# Sign-ups and logins of two browsers' tests at once, all from 127.0.0.1, go past the default
# limit a minute (its own tests are the API's).
export ROLECHAT_AUTH_RATE_PER_MINUTE=${ROLECHAT_AUTH_RATE_PER_MINUTE:-600}
# A model failure reaches the learner at once (the fake model fails "#fail" messages once).
export ROLECHAT_MODEL_RETRIES=0
# The stack's clock, shifted by the seconds this file holds, so a test can live the next day.
ROLECHAT_CLOCK_FILE=$(mktemp)
echo 0 > "$ROLECHAT_CLOCK_FILE"
export ROLECHAT_CLOCK_FILE
trap 'rm -f "$ROLECHAT_CLOCK_FILE"' EXIT

(cd frontend && npm run --silent build > /dev/null)

# The browser's microphone in the speech tests: a learner's line spoken by espeak-ng, after
# four seconds of silence (the voice detector loads meanwhile) and with two after it.
ROLECHAT_FAKE_MIC=$(mktemp --suffix=.wav)
spoken=$(mktemp --suffix=.wav)
espeak-ng -v en-us -s 150 -w "$spoken" "I would like a large coffee, please."
sox "$spoken" -r 48000 -b 16 -c 1 "$ROLECHAT_FAKE_MIC" pad 4 2
rm -f "$spoken"
export ROLECHAT_FAKE_MIC
trap 'rm -f "$ROLECHAT_CLOCK_FILE" "$ROLECHAT_FAKE_MIC"' EXIT

# Runs Playwright with the arguments given, the site served against ROLECHAT_API_URL.
run_site_tests() {
  cd frontend
  setsid node scripts/serve.mjs "$site_port" "$ROLECHAT_API_URL" > /dev/null &
  local site=$!
  trap 'kill -TERM -- "-$site" 2>/dev/null || true' RETURN
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$site_port/" && break; sleep 0.1; done
  ROLECHAT_SITE_URL="http://127.0.0.1:$site_port" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    npx playwright test "$@"
}
export -f run_site_tests
export site_port

# E2E_GREP=pattern runs only the tests whose titles match it (on the stack their titles ask for).
grep=${E2E_GREP:-}
if [ -z "$grep" ] || ! [[ "$grep" =~ ^@demo$ ]]; then
  scripts/with-stack.sh "$base" bash -c 'run_site_tests --project site --project speech --project journey ${0:+--grep "$0"}' "$grep"
fi
if [ -z "$grep" ] || [[ "$grep" =~ demo ]]; then
  ROLECHAT_TEST_MODEL=none scripts/with-stack.sh "$base" bash -c 'run_site_tests --project demo'
fi
