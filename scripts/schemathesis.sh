#!/usr/bin/env bash
# Schemathesis against openapi.yaml and the real local stack (run by `make contract` through
# scripts/with-stack.sh): generated requests on every operation, valid and invalid, checked for
# server errors and for replies that do not match the spec. Logging out (here, or everywhere) is
# left out, as it would end the session every other request uses (the authorization and account
# tests cover both).
#
# Only schema-valid requests are generated here: `cargo lambda watch` answers a body that is not
# UTF-8 with its own 500 before any function runs, which API Gateway does not do. Invalid bodies
# of every kind go through the real handlers in tests/tests/bad_input.rs instead. Schema-valid
# data the server may still refuse (an opaque cursor it did not sign, a password equal to the
# username) is why `positive_data_acceptance` is not asked for.
set -euo pipefail
cd "$(dirname "$0")/.."

api=${ROLECHAT_API_URL:?run through scripts/with-stack.sh}
login=$(curl -fsS -X POST "$api/signup" -H 'content-type: application/json' \
  -d '{"username": "contract-tester", "password": "contract tester password"}')
token=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' <<< "$login")

contract() {
  # Recordings (`audio/wav`) come from tests/contract_hooks.py.
  PYTHONPATH=tests SCHEMATHESIS_HOOKS=contract_hooks .venv/bin/st run openapi.yaml --url "$api" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --mode positive \
    --exclude-name "DELETE /auth" \
    --exclude-name "DELETE /me/sessions" \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" \
    --seed "${SCHEMATHESIS_SEED:-20261122}" \
    --generation-deterministic \
    --request-timeout 30 \
    --workers 1 \
    --report junit --report-dir target/schemathesis
}

# `cargo lambda watch` itself now and then answers a request with its own 500 (a problem+json
# body, `httpstatuses.com/500`) though no function failed, which API Gateway never does. A run
# whose failures include that reply is run once more; the generation is deterministic, so a
# failure of the service fails both runs.
output=$(mktemp)
trap 'rm -f "$output"' EXIT
if contract 2>&1 | tee "$output"; then exit 0; fi
if grep -q 'httpstatuses.com/500' "$output"; then
  echo "The local emulator answered with its own 500; running the contract once more." >&2
  contract
else
  exit 1
fi
