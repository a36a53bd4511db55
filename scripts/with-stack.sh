#!/usr/bin/env bash
# Runs a command against a fresh local stack of its own: the fake OpenAI-compatible model (or,
# with ROLECHAT_TEST_MODEL=real, a real model server: scripts/model-server.sh; with
# ROLECHAT_TEST_MODEL=given, the model OPENAI_* already name; with ROLECHAT_TEST_MODEL=none, no
# model at all: the offline demo), then `make api` on
# ports of its own with a new data directory. The command sees ROLECHAT_API_URL and
# ROLECHAT_STACK_LOG; everything started is stopped afterwards.
#
# Usage: scripts/with-stack.sh BASE_PORT COMMAND...   (ports BASE_PORT to BASE_PORT+6 are used)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

base=$1
shift
data=$(mktemp -d)
# The functions' logs in the stack's output, which the command reads as ROLECHAT_STACK_LOG.
export API_PORT=$base ROLECHAT_DYNAMODB_PORT=$((base + 1)) ROLECHAT_DATA_DIR=$data LOCAL_STACK_RELOAD=0 \
  LOCAL_STACK_LOGS=stdout
model_port=$((base + 2))
log="$data/stack.log"

model=
speech=
if [ "${ROLECHAT_TEST_MODEL:-fake}" = given ]; then
  # The model the caller set up (OPENAI_*), as for `make dev`.
  :
elif [ "${ROLECHAT_TEST_MODEL:-fake}" = none ]; then
  # No model key: the tutor is the offline demo.
  unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_MODEL
elif [ "${ROLECHAT_TEST_MODEL:-fake}" = real ]; then
  # A real server, with the preset for it (one request at a time, `json_object` with a schema).
  scripts/model-server.sh install
  setsid scripts/model-server.sh serve "$model_port" > "$data/model.log" 2>&1 &
  model=$!
  export OPENAI_MODEL=smollm2 ROLECHAT_MODEL_PROVIDER=llama-cpp-python
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$model_port/v1/models" >/dev/null && break
    kill -0 "$model" 2>/dev/null || { cat "$data/model.log"; echo "the model server did not start" >&2; exit 1; }
    sleep 0.1
  done
else
  # The fake model, so the real client runs in the real functions.
  bin_dir=target/debug
  [ "${LOCAL_STACK_PROFILE:-dev}" = release ] && bin_dir=target/release
  # The stack's binaries, the fakes among them (`make api` finds them built).
  scripts/local-stack.sh build
  setsid "./$bin_dir/fake-openai" "$model_port" > "$data/model.log" 2>&1 &
  model=$!
  export OPENAI_MODEL=fake
  # The fake audio API (OpenAI's wire formats, real MP3 from espeak-ng), so the server's voice
  # and hearing run too; the browser tests queue what it hears at ROLECHAT_FAKE_SPEECH_URL.
  speech_port=$((base + 6))
  setsid "./$bin_dir/fake-speech" "$speech_port" > "$data/speech.log" 2>&1 &
  speech=$!
  export ROLECHAT_SPEECH_BASE_URL="http://127.0.0.1:$speech_port/v1" ROLECHAT_SPEECH_API_KEY=sk-speech-test-key \
    ROLECHAT_AUDIO_DIR="$data/audio" ROLECHAT_FAKE_SPEECH_URL="http://127.0.0.1:$speech_port"
fi
if [ "${ROLECHAT_TEST_MODEL:-fake}" != given ] && [ "${ROLECHAT_TEST_MODEL:-fake}" != none ]; then
  export OPENAI_BASE_URL="http://127.0.0.1:$model_port/v1" OPENAI_API_KEY=local-test-key
fi

setsid make --no-print-directory api > "$log" 2>&1 &
stack=$!
finish() {
  kill -TERM -- "-$stack" ${model:+"-$model"} ${speech:+"-$speech"} 2>/dev/null || true
  wait "$stack" $model $speech 2>/dev/null || true
  # Whatever the stack started and did not stop (its pids are written down) goes too.
  while read -r pid; do kill -TERM -- "-$pid" 2>/dev/null || true; done < "$data/stack.pids" 2>/dev/null
  for _ in $(seq 1 50); do
    alive=0
    while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done < "$data/stack.pids" 2>/dev/null
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  rm -rf "$data"
}
trap finish EXIT

for _ in $(seq 1 6000); do
  grep -q "^Rolechat API on" "$log" && break
  if ! kill -0 "$stack" 2>/dev/null; then cat "$log"; echo "the local stack did not start" >&2; exit 1; fi
  sleep 0.1
done
grep -q "^Rolechat API on" "$log" || { cat "$log"; echo "the local stack did not start in time" >&2; exit 1; }

export ROLECHAT_API_URL="http://127.0.0.1:$API_PORT" ROLECHAT_STACK_LOG="$log" \
  ROLECHAT_DYNAMODB_URL="http://127.0.0.1:$ROLECHAT_DYNAMODB_PORT"
# On failure the stack's last lines, then the command's own again: a long log must not push what
# failed out of sight.
"$@" 2>&1 | tee "$data/command.log" || {
  status=$?
  tail -40 "$log"
  echo "--- the last lines of the command ---"
  grep -v '^{"level"' "$data/command.log" | tail -60
  exit "$status"
}
