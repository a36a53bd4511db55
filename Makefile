# Rolechat: `make dev` runs everything locally, `make test` runs every test.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: help dev api test lint unit smoke site e2e screenshots tools site-tools fmt clean

help:
	@echo "make dev    the local stack (embedded DynamoDB, every function, the site)"
	@echo "make api    the local stack without the site"
	@echo "make test   formatting, lints, unit and API tests, the smoke suite over the real binaries,"
	@echo "            and the site's checks, unit tests and browser tests in Chromium"

tools:
	@scripts/ensure-tools.sh

# The site's packages, from package-lock.json (no browser download: tests use Debian's Chromium).
site-tools: frontend/node_modules/.package-lock.json
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

dev: tools site-tools
	cd frontend && npm run --silent build
	@scripts/local-stack.sh dev

api: tools
	@scripts/local-stack.sh api

test: tools lint unit smoke site e2e

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

unit:
	cargo test --workspace --locked

smoke: tools
	scripts/smoke.sh

# The site: formatting and lints (Biome), types (svelte-check), unit tests (Vitest), the build.
site: site-tools
	cd frontend && npx biome check . && npx svelte-check --fail-on-warnings && npx vitest run && npm run --silent build

# The site in Chromium against a fresh local stack.
e2e: tools site-tools
	scripts/e2e.sh

# The browser tests, keeping their screenshots in docs/screenshots for the README.
screenshots: tools site-tools
	ROLECHAT_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots scripts/e2e.sh

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf .local .venv frontend/node_modules frontend/dist
