#!/usr/bin/env bash
# The local stack, in the foreground: the API (`api`), plus the site (`dev`). Ctrl-C stops
# everything it started. LOCAL_STACK says which API:
#   one     (the default) `rolechat serve`: every route, the embedded DynamoDB and the workers in
#           one process; with `dev` it serves the site too, on SITE_PORT.
#   lambda  every function under `cargo lambda watch`, as Lambda runs them, with the embedded
#           DynamoDB in a process of its own and the site served beside.
#
# Settings (environment): API_PORT (9000), SITE_PORT (5173), ROLECHAT_DYNAMODB_PORT (8000),
# ROLECHAT_DATA_DIR (.local), ROLECHAT_MAIL_PORT (API_PORT + 5: the local mail server, whose mail
# is kept in ROLECHAT_DATA_DIR/mail), LOCAL_STACK_CONCURRENCY (4: instances per function, started as
# requests wait, as Lambda does; 4 gave the most requests per second on two cores, 2 and 8 fewer,
# see the README). Every ROLECHAT_* and OPENAI_* variable reaches the functions.
#
# DYNAMODB_ENDPOINT set: no embedded DynamoDB; the stack uses that endpoint (Amazon's DynamoDB
# Local, moto, or a real table) and creates the missing tables there first. Credentials come
# from the environment; with AWS_PROFILE set the functions are built with `aws-config`'s
# provider chain, so a profile or SSO works too.
set -euo pipefail
cd "$(dirname "$0")/.."
# Everything the stack writes (conversations, the signing key, logs) is its owner's alone.
umask 077

# `build` only builds what `api` and `dev` would run.
mode=${1:-api}
stack=${LOCAL_STACK:-one}
[ "$stack" = one ] || [ "$stack" = lambda ] || { echo "LOCAL_STACK is one or lambda" >&2; exit 2; }
SITE_PORT=${SITE_PORT:-5173}
API_PORT=${API_PORT:-9000}
# One process serves the site and the API from one origin.
[ "$stack" = one ] && [ "$mode" = dev ] && API_PORT=$SITE_PORT
export ROLECHAT_DYNAMODB_PORT=${ROLECHAT_DYNAMODB_PORT:-8000}
export ROLECHAT_DATA_DIR=${ROLECHAT_DATA_DIR:-.local}
external_dynamodb=${DYNAMODB_ENDPOINT:+1}
# The functions reach the embedded DynamoDB's process here; `rolechat serve` has it inside.
[ "$stack" = lambda ] && export DYNAMODB_ENDPOINT=${DYNAMODB_ENDPOINT:-http://127.0.0.1:$ROLECHAT_DYNAMODB_PORT}
export PATH="$PWD/.venv/bin:$PATH"
# The functions log as in AWS: one JSON object per line, with the invocation's request id.
export AWS_LAMBDA_LOG_FORMAT=${AWS_LAMBDA_LOG_FORMAT:-JSON}
mkdir -p "$ROLECHAT_DATA_DIR"
# The JSON logs (the functions' and the emulator's) go to a file, unless LOCAL_STACK_LOGS=stdout.
log_file="$ROLECHAT_DATA_DIR/functions.log"

# The token signing key: generated once per data directory, so logins survive a restart.
if [ -z "${ROLECHAT_JWT_SECRET:-}" ] && [ -z "${ROLECHAT_JWT_SECRET_ARN:-}" ]; then
  key_file="$ROLECHAT_DATA_DIR/jwt-secret"
  if [ ! -s "$key_file" ]; then
    (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' > "$key_file")
  fi
  ROLECHAT_JWT_SECRET=$(cat "$key_file")
  export ROLECHAT_JWT_SECRET
fi
if [ "$mode" = dev ]; then
  export ROLECHAT_ALLOWED_ORIGINS=${ROLECHAT_ALLOWED_ORIGINS:-http://127.0.0.1:$SITE_PORT,http://localhost:$SITE_PORT}
fi

# Build everything first, so the first request does not wait for a compile.
# LOCAL_STACK_PROFILE=release runs optimised builds (`make bench` measures those).
profile=${LOCAL_STACK_PROFILE:-dev}
bin_dir=target/debug
watch_profile=()
if [ "$profile" = release ]; then
  bin_dir=target/release
  watch_profile=(--release)
fi
features=()
[ -n "${AWS_PROFILE:-}" ] && features=(--features rolechat/aws-profiles)
# The binaries, ours and the test fakes. One process needs no function: it is built with the
# tests (whose binaries `make test` has built already). The functions are built as
# `cargo lambda watch` builds them when it runs each one, the binaries alone. Every crate
# resolves alike in both (the tests crate has no dev-dependency that would turn on features), so
# the second reuses what the first compiled. Release builds are `make bench`'s: every binary.
if [ "$stack" = one ] && [ "$profile" != release ]; then
  selection=(--workspace)
  for function in functions/*/; do selection+=(--exclude "$(basename "$function")"); done
  cargo build --profile "$profile" "${selection[@]}" --bins --tests "${features[@]}"
else
  cargo build --profile "$profile" --workspace --bins "${features[@]}"
fi
[ "$mode" = build ] && exit 0

# Each child runs in its own process group, so stopping it also stops what it started
# (cargo lambda watch stops its function processes when it is stopped). Their pids are also
# written down, so whoever started this script can make sure they are gone.
groups=()
pid_file="$ROLECHAT_DATA_DIR/stack.pids"
: > "$pid_file"
start() {
  setsid "$@" &
  groups+=("$!")
  echo "$!" >> "$pid_file"
}
stop() {
  # Ignore further signals while stopping: make forwards a second TERM, which must not cut
  # this short before every child is told to stop.
  trap '' INT TERM EXIT
  for pid in "${groups[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

wait_for() { # URL SECONDS WHAT
  for _ in $(seq 1 $(( $2 * 10 ))); do
    if curl -fsS -m 2 -o /dev/null "$1" 2>/dev/null; then return 0; fi
    for pid in "${groups[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "$3 stopped before it was ready" >&2; exit 1; }
    done
    sleep 0.1
  done
  echo "$3 was not ready at $1 after $2 s" >&2
  exit 1
}

# A server already on one of our ports would be mistaken for ours.
ports=("$API_PORT")
[ -z "$external_dynamodb" ] && ports+=("$ROLECHAT_DYNAMODB_PORT")
for port in "${ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is already in use (another local stack?); stop it or choose other ports." >&2
    exit 1
  fi
done

# `rolechat serve` opens its tables itself (the embedded ones, or DYNAMODB_ENDPOINT's).
if [ "$stack" = lambda ] && [ -n "$external_dynamodb" ]; then
  "./$bin_dir/local-dynamodb" tables
elif [ "$stack" = lambda ]; then
  start "./$bin_dir/local-dynamodb"
  wait_for "$DYNAMODB_ENDPOINT" 30 "The local DynamoDB"
fi

# Social login: with no provider configured, the fake GitHub, Kakao and Google (a real OAuth /
# OpenID Connect server of the tests, signing real ID tokens) stand in, so `make dev` can log in
# with them. Set ROLECHAT_OAUTH_<PROVIDER>_CLIENT_ID (and _CLIENT_SECRET) to use a real one.
if [ -z "${ROLECHAT_OAUTH_GITHUB_CLIENT_ID:-}${ROLECHAT_OAUTH_KAKAO_CLIENT_ID:-}${ROLECHAT_OAUTH_GOOGLE_CLIENT_ID:-}" ]; then
  provider_port=${ROLECHAT_FAKE_PROVIDER_PORT:-$((API_PORT + 4))}
  start "./$bin_dir/fake-provider" "$provider_port" > /dev/null
  for provider in github kakao google; do
    upper=$(echo "$provider" | tr a-z A-Z)
    export "ROLECHAT_OAUTH_${upper}_CLIENT_ID=rolechat-local"
    export "ROLECHAT_OAUTH_${upper}_CLIENT_SECRET=fake-provider-client-secret"
    export "ROLECHAT_OAUTH_${upper}_BASE_URL=http://127.0.0.1:$provider_port/$provider"
  done
fi
export ROLECHAT_OAUTH_CALLBACK_BASE=${ROLECHAT_OAUTH_CALLBACK_BASE:-http://127.0.0.1:$API_PORT}

# Mail: unless ROLECHAT_MAIL names another server (`smtp://...`, or `ses`), a real SMTP server
# (aiosmtpd) that delivers nothing and keeps every mail in a Maildir, ROLECHAT_DATA_DIR/mail/new,
# one file a mail: the verification and reset links are read there.
if [ -z "${ROLECHAT_MAIL:-}" ]; then
  mail_port=${ROLECHAT_MAIL_PORT:-$((API_PORT + 5))}
  mail_dir="$ROLECHAT_DATA_DIR/mail"
  # aiosmtpd makes the Maildir only where nothing is yet.
  [ -d "$mail_dir/new" ] || rm -rf "$mail_dir"
  start python -m aiosmtpd -n -l "127.0.0.1:$mail_port" -c aiosmtpd.handlers.Mailbox "$mail_dir"
  export ROLECHAT_MAIL="smtp://127.0.0.1:$mail_port"
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$mail_port") 2>/dev/null && break
    sleep 0.1
  done
fi
export ROLECHAT_API_URL=${ROLECHAT_API_URL:-http://127.0.0.1:$API_PORT}
# Links in mail lead to the site: the first allowed origin (the config's default), or where
# `make dev` serves it.
if [ "$mode" = dev ] || [ -z "${ROLECHAT_ALLOWED_ORIGINS:-}" ]; then
  export ROLECHAT_SITE_URL=${ROLECHAT_SITE_URL:-http://127.0.0.1:$SITE_PORT}
fi
export ROLECHAT_MAIL_PER_SECOND=${ROLECHAT_MAIL_PER_SECOND:-50}

# There is no DynamoDB stream here: the deletion worker's sweep runs every second instead,
# taking up each deletion job as soon as it is written (the same worker code, the same jobs).
export ROLECHAT_DELETION_SWEEP_AFTER_SECONDS=${ROLECHAT_DELETION_SWEEP_AFTER_SECONDS:-0}

if [ "$stack" = one ]; then
  # Every route, the tables, the deletion sweep and the reminders in one process (logs to the
  # same place as the functions' would go).
  site=()
  [ "$mode" = dev ] && site=(--site frontend/dist)
  if [ "${LOCAL_STACK_LOGS:-file}" = stdout ]; then
    start "./$bin_dir/rolechat" serve --listen "127.0.0.1:$API_PORT" --data "$ROLECHAT_DATA_DIR" "${site[@]}"
  else
    start "./$bin_dir/rolechat" serve --listen "127.0.0.1:$API_PORT" --data "$ROLECHAT_DATA_DIR" "${site[@]}" \
      >> "$log_file" 2>&1
  fi
  wait_for "http://127.0.0.1:$API_PORT/health" 30 "The API"
  logs_at="logs in $log_file"
  [ "${LOCAL_STACK_LOGS:-file}" = stdout ] && logs_at="logs below"
  if [ "$mode" = dev ]; then
    echo "Rolechat is ready: open http://127.0.0.1:$API_PORT and sign up."
    echo "(One process: the site, the API and its tables; data in $ROLECHAT_DATA_DIR, $logs_at; Ctrl-C stops everything.)"
  else
    echo "Rolechat API on http://127.0.0.1:$API_PORT (one process; data in $ROLECHAT_DATA_DIR)"
    echo "($logs_at; Ctrl-C stops everything.)"
  fi
  wait
  exit
fi

# LOCAL_STACK_RELOAD=0 (the test suites) keeps functions running while files change.
reload=()
[ "${LOCAL_STACK_RELOAD:-1}" = 0 ] && reload=(--ignore-changes)
watch=(cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$API_PORT" --disable-cors
  --concurrency "${LOCAL_STACK_CONCURRENCY:-4}" "${watch_profile[@]}" "${reload[@]}" "${features[@]}")
if [ "${LOCAL_STACK_LOGS:-file}" = stdout ]; then
  start "${watch[@]}"
else
  start "${watch[@]}" >> "$log_file" 2>&1
fi
wait_for "http://127.0.0.1:$API_PORT/health" 300 "The API"
# Start every instance of every function now (each refuses an unauthenticated request at once):
# the emulator starts another instance when a request finds none idle, and a request that meets
# an instance still starting can get the emulator's own 500. Requests sent together while the
# first instance starts make it start them all.
api="http://127.0.0.1:$API_PORT"
instances=${LOCAL_STACK_CONCURRENCY:-4}
routes=("GET /scenarios" "POST /signup" "GET /auth" "GET /rooms" "POST /rooms" "GET /rooms/0"
  "PATCH /rooms/0" "DELETE /rooms/0" "GET /rooms/0/messages" "POST /rooms/0/messages"
  "POST /rooms/0/suggestions" "POST /rooms/0/messages/0/feedback"
  "POST /rooms/0/messages/0/translation" "POST /rooms/0/report" "GET /vocabulary" "GET /me"
  "POST /me/password" "DELETE /me/sessions" "GET /me/export" "GET /auth/oauth/providers"
  "POST /me/identities/github" "GET /progress" "GET /me/facts" "POST /password-reset"
  "POST /email/verify" "GET /nowhere")
warming=()
for _ in $(seq 1 "$instances"); do
  for route in "${routes[@]}"; do
    curl -s -o /dev/null -m 60 -X "${route%% *}" -H 'content-type: application/json' -d '{}' \
      "$api${route#* }" &
    warming+=("$!")
  done
done
wait "${warming[@]}"
# Then wait for the last of them to be running (cargo starts each one): until no new function
# process has appeared for a second and a half (the emulator starts a few fewer than asked).
running=0 steady=0
for _ in $(seq 1 300); do
  now=$(pgrep -fc "^$bin_dir/[a-z-]+\$" || true)
  if [ "$now" -gt "$running" ]; then running=$now steady=0; else steady=$((steady + 1)); fi
  [ "$steady" -ge 15 ] && break
  sleep 0.1
done
# The deletion worker's sweep, once a second, as the local stand-in for the table's stream.
start bash -c "while sleep 1; do curl -s -o /dev/null -m 300 -X POST -d '{\"sweep\": true}' \
  '$api/2015-03-31/functions/deletion-worker/invocations'; done"
# The reminders' schedule (every quarter of an hour in AWS): here once a minute (a run sends each
# learner's reminder once a day of theirs, in the quarter their hour falls on).
start bash -c "while sleep 60; do curl -s -o /dev/null -m 300 -X POST -d '{}' \
  '$api/2015-03-31/functions/reminders/invocations'; done"
logs_at="function logs in $log_file"
[ "${LOCAL_STACK_LOGS:-file}" = stdout ] && logs_at="function logs below"
if [ "$mode" = dev ]; then
  # The built site, with config.json pointing at this API and the site's security headers.
  start node frontend/scripts/serve.mjs "$SITE_PORT" "http://127.0.0.1:$API_PORT" > /dev/null
  wait_for "http://127.0.0.1:$SITE_PORT/" 30 "The site"
  echo "Rolechat is ready: open http://127.0.0.1:$SITE_PORT and sign up."
  echo "(API on http://127.0.0.1:$API_PORT, data in $ROLECHAT_DATA_DIR, $logs_at; Ctrl-C stops everything.)"
else
  echo "Rolechat API on http://127.0.0.1:$API_PORT (DynamoDB at $DYNAMODB_ENDPOINT, data in $ROLECHAT_DATA_DIR)"
  echo "($logs_at; Ctrl-C stops everything.)"
fi
wait
