#!/usr/bin/env bash
# Installs what the local stack, the tests and `make deploy` need and a fresh machine may lack,
# into the project's .venv from PyPI: cargo-lambda (with Zig, for arm64 builds), the SAM CLI
# (which brings cfn-lint), Schemathesis, and aiosmtpd (the local mail server, which keeps what it
# receives in a Maildir for the stack and the tests to read), and moto (an S3-compatible server for
# the tests of the audio cache). Also the Rust parts: rustfmt, clippy and the arm64
# Linux target.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION=1.9.2
SAM_CLI_VERSION=1.170.0
SCHEMATHESIS_VERSION=4.32.5
AIOSMTPD_VERSION=1.4.6
MOTO_VERSION=5.2.5

UV_VERSION=0.13.8

[ -x .venv/bin/python ] || python3 -m venv .venv
# What is missing, installed in one go by uv (pip took two minutes here, most of it the SAM
# CLI's dependencies one at a time; uv resolves and installs them in parallel).
missing=()
[ -x .venv/bin/cargo-lambda ] || missing+=("cargo-lambda==$CARGO_LAMBDA_VERSION")
[ -x .venv/bin/sam ] || missing+=("aws-sam-cli==$SAM_CLI_VERSION")
[ -x .venv/bin/aiosmtpd ] || missing+=("aiosmtpd==$AIOSMTPD_VERSION")
[ -x .venv/bin/moto_server ] || missing+=("moto[server]==$MOTO_VERSION")
[ -x .venv/bin/st ] || missing+=("schemathesis==$SCHEMATHESIS_VERSION")
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} into .venv ..."
  [ -x .venv/bin/uv ] || .venv/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  .venv/bin/uv pip install --quiet --python .venv/bin/python "${missing[@]}"
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    rustup component add "$component"
  fi
done
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu
fi
