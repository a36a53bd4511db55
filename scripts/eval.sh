#!/usr/bin/env bash
# `make eval`: the tutor's quality, measured (eval/rolechat_eval). Scripted learners talk with the
# tutor through a fresh local stack of the real functions, against your model (OPENAI_API_KEY,
# OPENAI_BASE_URL, OPENAI_MODEL, ROLECHAT_MODEL_PROVIDER as for `make dev`), or with
# EVAL_MODEL=local against the local test model server (scripts/model-server.sh), whose figures
# say nothing about teaching: a 135M model only keeps the eval itself from rotting. With
# ROLECHAT_API_URL set, the stack already running there is used instead of a fresh one.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-eval
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! cmp -s eval/requirements.txt "$venv/requirements.txt" 2>/dev/null; then
  echo "Installing the eval's packages into $venv ..."
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r eval/requirements.txt
  cp eval/requirements.txt "$venv/requirements.txt"
fi

# The metrics, on recorded answers, first.
(cd eval && "../$venv/bin/python" -m pytest -q tests)

if [ "${EVAL_MODEL:-given}" = local ]; then
  # The small model rambles to its budget: smaller budgets (`make eval-local` sets them) keep
  # the run's length steady.
  export ROLECHAT_TEST_MODEL=real ROLECHAT_MODEL_TIMEOUT_SECONDS=120 \
    ROLECHAT_MODEL_STRUCTURED_SECONDS=120 ROLECHAT_MODEL_FIRST_TOKEN_SECONDS=60 \
    ROLECHAT_MODEL_TASKS="${LOCAL_MODEL_TASKS:-}"
else
  [ -n "${OPENAI_API_KEY:-}" ] || {
    echo "Set OPENAI_API_KEY (and OPENAI_BASE_URL, OPENAI_MODEL) to evaluate your model, or" >&2
    echo "EVAL_MODEL=local to run the eval against the local test model server." >&2
    exit 2
  }
  export ROLECHAT_TEST_MODEL=given
fi
# On a stack that is up already (`make real-model` runs a short eval on its own stack after its
# tests, sparing a second start), the learners talk with it.
if [ -n "${ROLECHAT_API_URL:-}" ]; then
  exec env PYTHONPATH="$PWD/eval" "$venv/bin/python" -m rolechat_eval.run
fi
# The eval's learners make more turns than a learner's day allows.
export ROLECHAT_DAILY_TURNS=100000
exec scripts/with-stack.sh "${EVAL_BASE_PORT:-9540}" \
  env PYTHONPATH="$PWD/eval" "$venv/bin/python" -m rolechat_eval.run
