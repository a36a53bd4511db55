# Rolechat: `make dev` runs everything locally, `make test` runs every test.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: help dev api tables test model-server-early check lint unit deploy-check smoke real-model eval eval-local contract site e2e screenshots tools site-tools \
	lambda-build site-build deploy destroy bench bench-reminders bench-tools fmt clean

# Every function, as a Cargo package: one per directory under functions/.
FUNCTIONS := $(notdir $(wildcard functions/*))

help:
	@echo "make dev    Rolechat on this machine in one process: the API, its tables, the site"
	@echo "            (LOCAL_STACK=lambda: every function under cargo lambda watch instead)"
	@echo "make api    the same without the site (DYNAMODB_ENDPOINT=... for another DynamoDB)"
	@echo "make tables creates the missing tables at DYNAMODB_ENDPOINT"
	@echo "make check  the fast loop: formatting, lints, the crate's unit tests and the API tests"
	@echo "make test   formatting, lints, unit, API and hardening tests, the deploy checks, the smoke"
	@echo "            suite, a real model server and Schemathesis over the real binaries, and the"
	@echo "            site's checks, unit tests and browser tests in Chromium"
	@echo "make deploy the whole service into your AWS account (see the README); make destroy removes it"
	@echo "make eval   the tutor's quality, measured against your model (OPENAI_* set)"
	@echo "make bench  what each request costs: latency, round trips, cold starts, sizes, load, cost"

tools:
	@scripts/ensure-tools.sh

# The site's packages, from package-lock.json (no browser download: tests use Debian's Chromium).
site-tools: frontend/node_modules/.package-lock.json
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

dev: tools site-build
	@scripts/local-stack.sh dev

api: tools
	@scripts/local-stack.sh api

# The tables, at an existing endpoint (DynamoDB Local, moto, a real account): the same
# definitions the local stack and the tests create them from. AWS_PROFILE works as for `make api`.
tables:
	@test -n "$${DYNAMODB_ENDPOINT:-}" || { echo "set DYNAMODB_ENDPOINT" >&2; exit 1; }
	cargo run --quiet --locked -p rolechat-local-dynamodb $${AWS_PROFILE:+--features rolechat/aws-profiles} -- tables

# The test model server's build (minutes of compiling llama.cpp) starts first, in the background
# at the lowest priority, so it takes the cores the steps before `real-model` leave idle; the real
# model's tests come last, so that build has had the idle time of every other step.
test: model-server-early tools lint unit deploy-check smoke contract site e2e real-model

model-server-early:
	@scripts/model-server.sh install-early

# The fast loop while changing the code: no binaries for Lambda, no servers, no browser. The
# function crates have no tests of their own, so only the library and the test crate are built.
check: tools lint
	ROLECHAT_TEST_SERVER=functions cargo test --locked -p rolechat -p rolechat-tests --lib --test api --test layers

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# Every test of the workspace. The function crates hold only their main.rs (the layers test
# keeps it so): their test harnesses, 26 more links of the whole SDK, would run nothing.
# The API tests send every request over HTTP through the one process (`rolechat serve`'s front
# over each test's state: the request's conversion, the streaming, the client's address are its
# own); `make check` sends them straight to each route's service instead, a little faster.
# Six tests at a time: most of an API test's time is waiting (on timeouts, paced fake models), so
# the two cores take three times as many as they have (here, in process: 133 s two at a time,
# 102 s eight; through the one process: 144 s two, 109 s six).
unit:
	ROLECHAT_TEST_SERVER=one cargo test --workspace --locked $(addprefix --exclude ,$(FUNCTIONS)) -- --test-threads 6

# What `make deploy` ships, checked without an AWS account: the template (cfn-lint and SAM's
# own validation) and `sam build` over the arm64 binaries, built here without optimisation to
# keep `make test` short (`make deploy-check LAMBDA_PROFILE=release` checks the release build);
# with either tutor: an OpenAI-compatible server, or Bedrock through a profile or by a model's ID.
BEDROCK_STACK := ModelProvider=bedrock
BEDROCK_BY_ID := ModelProvider=bedrock BedrockModel=amazon.nova-lite-v1:0 BedrockFoundationModel=amazon.nova-lite-v1:0
deploy-check: LAMBDA_PROFILE = lambda-check
deploy-check: tools lambda-build
	cfn-lint template.yaml
	cfn-lint template.yaml --parameters $(BEDROCK_STACK)
	cfn-lint template.yaml --parameters $(BEDROCK_BY_ID)
	SAM_CLI_TELEMETRY=0 sam validate --lint --region us-east-1
	SAM_CLI_TELEMETRY=0 sam build --template-file template.yaml
	SAM_CLI_TELEMETRY=0 sam build --template-file template.yaml --build-dir .aws-sam/build-bedrock \
	  --parameter-overrides $(BEDROCK_STACK) && rm -rf .aws-sam/build-bedrock
	@LAMBDA_PROFILE=$(LAMBDA_PROFILE) scripts/function-sizes.sh

# The functions as Lambda runs them: arm64, one `bootstrap` per target/lambda/<function>/.
LAMBDA_PROFILE ?= release
lambda-build: tools
	cargo lambda build --profile $(LAMBDA_PROFILE) --arm64 --locked $(addprefix -p ,$(FUNCTIONS))

site-build: site-tools
	cd frontend && npm run --silent build

deploy: tools site-tools
	SAM_CLI_TELEMETRY=0 scripts/deploy.sh

# DELETE_TABLES=1 also deletes the users' and rooms' tables, which are kept otherwise.
destroy: tools
	SAM_CLI_TELEMETRY=0 scripts/destroy.sh

smoke: tools
	scripts/smoke.sh

# The tutor's quality, measured against your model (OPENAI_* set; see the README).
eval: tools
	scripts/eval.sh

# The eval's metrics' tests, and the eval itself run small against the local test model server so
# it never rots (its figures say nothing about teaching). `make real-model` runs it too.
EVAL_LOCAL := EVAL_MODEL=local EVAL_CASES=en-US:A1 EVAL_LINES=1 EVAL_ERRORS=1
eval-local: tools
	$(EVAL_LOCAL) scripts/eval.sh

# Every model-calling route through the real stack against a real model server (llama.cpp's,
# through llama-cpp-python, built from source on first use; see scripts/model-server.sh), then
# `make eval-local`'s short eval on the same stack.
# The small model rambles to its budget: smaller budgets keep the run's length steady. Its
# reports are written under a JSON grammar at about 9 to 16 tokens a second here: capped at 250
# (500 on the retry a cut answer gets), a rambling one is cut (a documented 502) in well under a
# minute instead of timing out after two; translations and lines are capped the same way (an A2
# line is one or two sentences).
LOCAL_MODEL_TASKS := opener.max_tokens=80, reply.max_tokens=80, translation.max_tokens=100, report.max_tokens=250
export LOCAL_MODEL_TASKS
real-model: tools
	ROLECHAT_TEST_MODEL=real ROLECHAT_MODEL_TIMEOUT_SECONDS=120 ROLECHAT_MODEL_STRUCTURED_SECONDS=120 \
	  ROLECHAT_MODEL_FIRST_TOKEN_SECONDS=60 ROLECHAT_MODEL_TASKS="$(LOCAL_MODEL_TASKS)" LOCAL_STACK_CONCURRENCY=2 \
	  scripts/with-stack.sh 9520 bash -c \
	  'cargo test -p rolechat-tests --test real_model -- --ignored --nocapture && $(EVAL_LOCAL) scripts/eval.sh'

# Schemathesis: requests generated from openapi.yaml against a fresh local stack; any server
# error or reply that does not match the spec fails.
contract: tools
	ROLECHAT_AUTH_RATE_PER_MINUTE=600 LOCAL_STACK_CONCURRENCY=2 scripts/with-stack.sh 9500 scripts/schemathesis.sh

# The site: its API types as openapi.yaml says (regenerated and compared), formatting and lints
# (Biome), types (svelte-check), unit tests (Vitest), the build.
site: site-tools
	cd frontend && tmp=$$(mktemp --suffix=.ts) && npx openapi-typescript ../openapi.yaml -o "$$tmp" >/dev/null \
	  && { cmp -s "$$tmp" src/lib/schema.gen.ts || { echo "frontend/src/lib/schema.gen.ts is stale: run npm run types in frontend/" >&2; exit 1; }; }
	cd frontend && npx biome check . && npx svelte-check --fail-on-warnings && npx vitest run && npm run --silent build

# The site in Chromium against a fresh local stack.
e2e: tools site-tools
	scripts/e2e.sh

# The browser tests, keeping their screenshots in docs/screenshots for the README.
screenshots: tools site-tools
	ROLECHAT_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots scripts/e2e.sh

# What each request costs, measured on release builds: in-process figures per route, cold starts
# and sizes of the function binaries, and cost; then on each release local stack (the one process,
# the emulator) with a quick fake model: load at 1, 8 and 32 connections, write throughput as the
# tables fill to 100,000 items, and the soak of paged reads (any read of a second or more fails
# it; learners leaving their turns beside it on the one process only: `cargo lambda watch` stalls
# under them, docs/benchmarks.md). Prints one table and writes target/bench/bench.json.
bench: tools bench-tools site-tools
	cargo build --release --locked --workspace --bins
	rm -f target/bench/load-*.json
	for stack in one lambda; do \
	  SOAK_LEAVERS=$$( [ $$stack = one ] && echo 1 || echo 0 ) \
	  LOCAL_STACK=$$stack LOCAL_STACK_PROFILE=release ROLECHAT_AUTH_RATE_PER_MINUTE=0 ROLECHAT_DAILY_TURNS=100000 \
	    ROLECHAT_MAX_ROOMS=100000 FAKE_OPENAI_FIRST_DELAY_MS=50 FAKE_OPENAI_DELAY_MS=1 \
	    scripts/with-stack.sh 9490 bash -c 'node bench/writes.mjs && node bench/load.mjs && node bench/soak.mjs' || exit 1; \
	done
	LOCAL_STACK=lambda LOCAL_STACK_PROFILE=release ROLECHAT_AUTH_RATE_PER_MINUTE=0 scripts/with-stack.sh 9490 bench/auth-memory.sh
	cd frontend && npm run --silent bench:aids
	./target/release/bench
	./target/release/bench-reminders

# The hourly reminders' run for 100,000 learners (BENCH_LEARNERS): round trips, SES calls, cost.
bench-reminders: tools
	cargo run --release --locked -p rolechat-tests --bin bench-reminders

# The load generator: wrk, from Debian's packages.
bench-tools:
	@command -v wrk >/dev/null || { echo "Installing wrk ..."; \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq wrk >/dev/null; }

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf .local .venv frontend/node_modules frontend/dist
