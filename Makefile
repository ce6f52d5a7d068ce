# strata — two commands on a fresh machine: `make demo` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

APT_PACKAGES := libyaml-dev libcurl4-openssl-dev libssl-dev libxml2-dev python3-venv
PYTHON ?= python3
SWIFT_BUILD_FLAGS ?=
SANDBOX_PORT ?= 4599
SANDBOX_DIR := .sandbox
SANDBOX_URL := http://127.0.0.1:$(SANDBOX_PORT)
STRATA := .build/debug/strata
# Checkov (for the plan-JSON tests) lives in its own venv: its boto3/botocore pins would fight the sandbox's.
CHECKOV_VENV := .venv-checkov
CHECKOV_REQUIREMENTS := Tests/checkov/requirements.txt
# What `make lint` and `make format` read: swift-format (it ships with the toolchain; .swift-format)
# over the Swift, ruff (pinned in LINT_REQUIREMENTS; ruff.toml) over the Python.
LINT_REQUIREMENTS := requirements-lint.txt
SWIFT_SOURCES := Sources Tests Package.swift
PYTHON_SOURCES := sandbox scripts benchmarks

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

deps: lint-deps ## Install what the build and the tests need (apt packages, pinned Python packages, Checkov's venv)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@$(PYTHON) -m pip install -q --disable-pip-version-check --root-user-action=ignore -r sandbox/requirements.txt
	@$(MAKE) -s --no-print-directory $(CHECKOV_VENV)/installed

# Rebuilt only when the requirements change (or the venv is gone): `make deps` is quick when installed.
$(CHECKOV_VENV)/installed: $(CHECKOV_REQUIREMENTS)
	@echo "installing Checkov into $(CHECKOV_VENV)"
	@rm -rf $(CHECKOV_VENV)
	@$(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check -r $(CHECKOV_REQUIREMENTS)
	@touch $@

lint-deps:
	@$(PYTHON) -m pip install -q --disable-pip-version-check --root-user-action=ignore -r $(LINT_REQUIREMENTS)

lint: lint-deps ## Check formatting and lint (swift-format over Swift, ruff over Python); fails on any finding
	swift format lint --strict --parallel --recursive $(SWIFT_SOURCES)
	$(PYTHON) -m ruff check $(PYTHON_SOURCES)

format: lint-deps ## Rewrite the tree in place: swift-format over Swift, ruff's safe fixes over Python
	swift format format --in-place --parallel --recursive $(SWIFT_SOURCES)
	$(PYTHON) -m ruff check --fix $(PYTHON_SOURCES)

build: deps ## Build strata (debug)
	swift build $(SWIFT_BUILD_FLAGS)

release: deps ## Build strata (release)
	swift build -c release $(SWIFT_BUILD_FLAGS)

sandbox: deps ## Start the local AWS sandbox in the background on $(SANDBOX_PORT)
	@mkdir -p $(SANDBOX_DIR)
	@if [ -f $(SANDBOX_DIR)/pid ] && kill -0 $$(cat $(SANDBOX_DIR)/pid) 2>/dev/null; then \
	  echo "sandbox already running on $(SANDBOX_URL)"; exit 0; fi; \
	nohup $(PYTHON) sandbox/run --port $(SANDBOX_PORT) --verify-signatures >$(SANDBOX_DIR)/log 2>&1 & echo $$! >$(SANDBOX_DIR)/pid; \
	$(PYTHON) sandbox/wait_ready.py $(SANDBOX_URL) 60 || { cat $(SANDBOX_DIR)/log; exit 1; }; \
	echo "sandbox on $(SANDBOX_URL) (pid $$(cat $(SANDBOX_DIR)/pid))"

sandbox-stop: ## Stop the background sandbox
	@if [ -f $(SANDBOX_DIR)/pid ]; then kill $$(cat $(SANDBOX_DIR)/pid) 2>/dev/null || true; rm -f $(SANDBOX_DIR)/pid; echo "sandbox stopped"; fi

# swift test writes its progress through stdio, block-buffered into a pipe: line-buffered, a log
# read while a run is stuck (CI's) shows every test that started and every one that ended. Tests
# bound each of their waits; the timeout is the last word should one still hang.
SWIFT_TEST_TIMEOUT ?= 40m

test: deps lint ## Run every test: lint first (seconds), then the sandbox's (pytest) and strata's (swift test)
	$(PYTHON) -m pytest -q sandbox/tests
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	@echo "swift test --skip-build $(SWIFT_BUILD_FLAGS) (line-buffered, at most $(SWIFT_TEST_TIMEOUT))"
	@status=0; timeout --kill-after=30s $(SWIFT_TEST_TIMEOUT) stdbuf -oL swift test --skip-build $(SWIFT_BUILD_FLAGS) || status=$$?; \
	if [ $$status = 124 ]; then echo "swift test did not finish within $(SWIFT_TEST_TIMEOUT): the tests started above and not ended hang" >&2; fi; \
	exit $$status

# How many times make test's fuzz cases `make fuzz` runs (from other seeds); figures in benchmarks/README.md.
FUZZ_SCALE ?= 20

fuzz: deps ## Fuzz stack files, expressions and AWS answers FUZZ_SCALE times longer than make test
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	STRATA_FUZZ_SCALE=$(FUZZ_SCALE) swift test --skip-build $(SWIFT_BUILD_FLAGS) --filter FuzzTests

rollout-soak: deps ## Kill rollouts at every seeded moment (engine: 10, strata apply SIGKILLed: 11; make test: 1 and 3); each re-run must finish
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	STRATA_ROLLOUT_SOAK=1 swift test --skip-build $(SWIFT_BUILD_FLAGS) --filter 'RolloutCrashTests|RolloutApplyCrashTests'

golden: build ## Rewrite golden/ from the current compiler (read the diff before committing)
	STRATA_GOLDEN_RECORD=1 swift test $(SWIFT_BUILD_FLAGS) --filter GoldenTests || true
	@git status --short golden/

bench: deps ## Run the benchmarks under benchmarks/ (release build)
	swift build -c release $(SWIFT_BUILD_FLAGS)
	@for b in benchmarks/*.sh; do [ -x "$$b" ] && "$$b"; done

demo: build ## Start the sandbox, run strata on stacks/demo against it, stop the sandbox
	@./scripts/demo.sh

clean: ## Remove build products and sandbox state
	rm -rf .build $(SANDBOX_DIR)

.PHONY: help deps lint-deps lint format build release sandbox sandbox-stop test fuzz rollout-soak golden bench demo clean
