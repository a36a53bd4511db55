#!/usr/bin/env bash
# Installs what the local stack and the tests need and a fresh machine may lack:
# cargo-lambda (from its PyPI wheel, into the project's .venv, unless it is already on PATH)
# and the rustfmt and clippy components.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION=1.9.2

if ! command -v cargo-lambda >/dev/null 2>&1; then
  if [ ! -x .venv/bin/cargo-lambda ]; then
    echo "Installing cargo-lambda $CARGO_LAMBDA_VERSION into .venv ..."
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
  fi
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    rustup component add "$component"
  fi
done
