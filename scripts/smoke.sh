#!/usr/bin/env bash
# The smoke suite: starts the real local stack (`make api`) on ports of its own with a fresh data
# directory, runs the smoke tests over HTTP and `cargo lambda invoke` against it, then stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

data=$(mktemp -d)
export API_PORT=${SMOKE_API_PORT:-9470}
export ROLECHAT_DYNAMODB_PORT=${SMOKE_DYNAMODB_PORT:-9471}
export ROLECHAT_DATA_DIR=$data
# A setting the smoke tests can see from outside, proving ROLECHAT_* reaches the functions.
export ROLECHAT_SESSION_TTL_SECONDS=7200
log="$data/stack.log"

# The model: the fake OpenAI-compatible server, so the real client runs in the real functions.
model_port=${SMOKE_MODEL_PORT:-9472}
cargo build --quiet -p rolechat-tests --bin fake-openai
setsid ./target/debug/fake-openai "$model_port" > "$data/model.log" 2>&1 &
model=$!
export OPENAI_BASE_URL="http://127.0.0.1:$model_port/v1" OPENAI_API_KEY=smoke-test-key OPENAI_MODEL=fake

setsid make --no-print-directory api > "$log" 2>&1 &
stack=$!
finish() {
  kill -TERM -- "-$stack" "-$model" 2>/dev/null || true
  wait "$stack" "$model" 2>/dev/null || true
  rm -rf "$data"
}
trap finish EXIT

for _ in $(seq 1 6000); do
  grep -q "^Rolechat API on" "$log" && break
  if ! kill -0 "$stack" 2>/dev/null; then cat "$log"; echo "the local stack did not start" >&2; exit 1; fi
  sleep 0.1
done
grep -q "^Rolechat API on" "$log" || { cat "$log"; echo "the local stack did not start in time" >&2; exit 1; }

ROLECHAT_API_URL="http://127.0.0.1:$API_PORT" ROLECHAT_STACK_LOG="$log" \
  cargo test -p rolechat-tests --test smoke -- --ignored --test-threads=1 || { tail -50 "$log"; exit 1; }
