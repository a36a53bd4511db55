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

[ -x .venv/bin/python ] || python3 -m venv .venv
pip() { .venv/bin/pip install --quiet --disable-pip-version-check "$@"; }

if [ ! -x .venv/bin/cargo-lambda ]; then
  echo "Installing cargo-lambda $CARGO_LAMBDA_VERSION into .venv ..."
  pip "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
if [ ! -x .venv/bin/sam ]; then
  echo "Installing the SAM CLI $SAM_CLI_VERSION into .venv ..."
  pip "aws-sam-cli==$SAM_CLI_VERSION"
fi
if [ ! -x .venv/bin/aiosmtpd ]; then
  echo "Installing aiosmtpd $AIOSMTPD_VERSION into .venv ..."
  pip "aiosmtpd==$AIOSMTPD_VERSION"
fi
if [ ! -x .venv/bin/moto_server ]; then
  echo "Installing moto $MOTO_VERSION (the tests' S3 server) into .venv ..."
  pip "moto[server]==$MOTO_VERSION"
fi
if [ ! -x .venv/bin/st ]; then
  echo "Installing Schemathesis $SCHEMATHESIS_VERSION into .venv ..."
  pip "schemathesis==$SCHEMATHESIS_VERSION"
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    rustup component add "$component"
  fi
done
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu
fi
