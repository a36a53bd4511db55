#!/usr/bin/env bash
# The resident memory of the `signup` and `auth` functions over 1,000 sign-ups and 1,000 logins
# (each argon2id hash takes 19 MiB), read from /proc while a local stack serves them. Run by
# `make bench` inside scripts/with-stack.sh, which sets ROLECHAT_API_URL. Prints one line per
# checkpoint and writes target/bench/auth-memory.json.
set -euo pipefail
api=${ROLECHAT_API_URL:?run inside scripts/with-stack.sh}
count=${AUTH_MEMORY_COUNT:-1000}
bin_dir=target/debug
[ "${LOCAL_STACK_PROFILE:-dev}" = release ] && bin_dir=target/release

rss_kib() { # FUNCTION
  local pid
  pid=$(pgrep -f "$bin_dir/$1\$" | head -1 || true)
  [ -n "$pid" ] && awk '/^VmRSS/ {print $2}' "/proc/$pid/status" || echo 0
}
body() { printf '{"username": "memory%s-%s", "password": "a memory benchmark password"}' "$1" "$$"; }

mkdir -p target/bench
points=()
for i in $(seq 1 "$count"); do
  curl -fsS -o /dev/null -X POST "$api/signup" -H 'content-type: application/json' -d "$(body "$i")" &
  # Logs in as the user signed up one step before (the first step logs in as an unknown name).
  curl -sS -o /dev/null -X POST "$api/auth" -H 'content-type: application/json' -d "$(body $((i - 1)))" &
  wait
  case $i in 1 | 10 | 50 | 100 | 250 | 500 | 750 | "$count")
    signup=$(rss_kib signup) auth=$(rss_kib auth)
    printf 'auth memory after %5d sign-ups and logins: signup %6d KiB, auth %6d KiB\n' "$i" "$signup" "$auth"
    points+=("{\"requests\": $i, \"signup_kib\": $signup, \"auth_kib\": $auth}")
    ;;
  esac
done
(IFS=,; printf '{"auth_memory": [%s]}\n' "${points[*]}") > target/bench/auth-memory.json
