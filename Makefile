# Rolechat: `make dev` runs everything locally, `make test` runs every test.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: help dev api test lint unit smoke tools fmt clean

help:
	@echo "make dev    the local stack (embedded DynamoDB, every function, the site)"
	@echo "make api    the local stack without the site"
	@echo "make test   formatting, lints, unit and API tests, and the smoke suite over the real binaries"

tools:
	@scripts/ensure-tools.sh

dev: tools
	@scripts/local-stack.sh dev

api: tools
	@scripts/local-stack.sh api

test: tools lint unit smoke

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

unit:
	cargo test --workspace --locked

smoke: tools
	scripts/smoke.sh

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf .local .venv
