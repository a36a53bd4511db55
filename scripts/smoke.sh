#!/usr/bin/env bash
# The smoke suite: the smoke tests over HTTP and `cargo lambda invoke`, against a fresh local
# stack of every function (`LOCAL_STACK=lambda make api`) with the fake model. Arguments go to
# the test binary: `scripts/smoke.sh oauth` runs the smoke tests whose names contain "oauth".
set -euo pipefail
cd "$(dirname "$0")/.."
# The functions as Lambda runs them, under `cargo lambda watch` (`cargo lambda invoke` included).
export LOCAL_STACK=lambda
# A setting the smoke tests can see from outside, proving ROLECHAT_* reaches the functions.
export ROLECHAT_SESSION_TTL_SECONDS=7200
# The suite's sign-ups, logins and reset requests, all from 127.0.0.1 within a few minutes, go
# past the default limit a minute (the API tests test the limit itself).
export ROLECHAT_AUTH_RATE_PER_MINUTE=120
# The site origin the social-login fixtures come back to (and the mails' links lead to).
export ROLECHAT_ALLOWED_ORIGINS=http://127.0.0.1:5173
exec scripts/with-stack.sh "${SMOKE_BASE_PORT:-9470}" \
  cargo test -p rolechat-tests --test smoke -- --ignored --test-threads=1 "$@"
