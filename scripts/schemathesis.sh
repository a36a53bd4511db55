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

.venv/bin/st run openapi.yaml --url "$api" \
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
