# The two commands of mfa-guardrails (see README): `make synth` and `make test`.
# Each sets itself up on a fresh machine: the pinned uv in .tools/uv (requirements-uv.txt), a
# Python venv in .venv with exactly what uv.lock pins, and the pinned CDK CLI in node_modules.
# Nothing here needs AWS credentials or a network beyond package installs.

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
UV      := .tools/uv/bin/uv
UV_STAMP := .tools/uv/.installed
NODE_STAMP := node_modules/.installed

export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
# uv uses the python3 that `tools` checked, never a Python it would download.
export UV_PYTHON_DOWNLOADS := never
# uv does not compile bytecode at install (all of .venv: 37 s of CPU; the commands import a
# quarter of it): Python writes the bytecode of what they import on first use. With
# PYTHONDONTWRITEBYTECODE set, every process would compile aws_cdk again (~5 s each).
unexport PYTHONDONTWRITEBYTECODE

# CONFIG=path.json: synthesize, compare or deploy that configuration file (the format of
# examples/*.json) instead of the embedded default; app.py reads it from MFA_GUARDRAILS_CONFIG.
CONFIG ?=
CDK := $(if $(CONFIG),MFA_GUARDRAILS_CONFIG=$(abspath $(CONFIG)) )npx --no-install cdk

.PHONY: setup lock synth test sweep bench diff deploy clean tools preflight org-readiness manifest \
	upgrade-check

tools:
	@python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mfa-guardrails needs Python >= 3.11 (found " + sys.version.split()[0] + "): install it and make sure python3 points to it")'
	@command -v node >/dev/null || { echo "mfa-guardrails needs Node.js >= 20 for the CDK CLI: install it (e.g. apt-get install nodejs npm) and re-run"; exit 1; }
	@command -v npm >/dev/null || { echo "mfa-guardrails needs npm for the CDK CLI: install it (e.g. apt-get install npm) and re-run"; exit 1; }

$(UV_STAMP): requirements-uv.txt | tools
	rm -rf .tools/uv
	python3 -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
	  --target .tools/uv -r requirements-uv.txt
	touch $@

# Exactly what uv.lock pins (hashes checked), dev tools included; the project itself editable.
# --locked: uv.lock is never changed here, and a pyproject.toml that disagrees with it stops the
# install (run `make lock`, commit uv.lock).
$(STAMP): pyproject.toml uv.lock $(UV_STAMP)
	$(UV) sync --locked --extra dev --python python3 --quiet
	touch $@

## Update uv.lock after changing a dependency in pyproject.toml (or to take newer releases of
## what is not pinned there: `make lock LOCK_ARGS=--upgrade`), then commit it.
lock: $(UV_STAMP)
	$(UV) lock $(LOCK_ARGS)

$(NODE_STAMP): package.json package-lock.json | tools
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(STAMP) $(NODE_STAMP)

## The main job: synthesize every stack into cdk.out/, cdk-nag + cfn-lint, summary, exit 1 on error.
## With CONFIG=path.json, only that configuration.
synth: setup
	$(PY) -m mfa_guardrails.checks $(if $(CONFIG),--config $(CONFIG))

## The tests: pytest, ruff and mypy (strict on app.py, stacks/, constructs_lib/, runtime code).
## mypy runs beside pytest (on the core pytest leaves idle between its own jobs); its report is
## printed after ruff's, and any of the three failing fails the target.
test: setup
	@log=$$(mktemp); nice -n 10 $(PY) -m mypy >$$log 2>&1 & mypy=$$!; \
	echo "$(PY) -m pytest -q"; $(PY) -m pytest -q; tests=$$?; \
	echo "$(PY) -m ruff check ."; $(PY) -m ruff check .; lint=$$?; \
	wait $$mypy; typed=$$?; echo "$(PY) -m mypy"; cat $$log; rm -f $$log; \
	exit $$(( tests || lint || typed ))

## Regenerate stateful-resources.json (every configuration synthesized): only when a replacement
## of a stateful resource is deliberate, committed with a line in CHANGELOG.md (README, "Upgrading").
manifest: setup
	$(PY) -m mfa_guardrails.manifest

## Before `make deploy` of a new version: what it would replace or broaden, against the installed
## version's cdk.out (INSTALLED=dir) or, without INSTALLED, the deployed templates (credentials of
## the stacks' account); CONFIG=path.json as above. Exit 0 nothing, 1 findings, 2 cannot run.
upgrade-check: setup
	$(VENV)/bin/mfa-guardrails upgrade-check $(if $(INSTALLED),--installed $(INSTALLED),--deployed)$(if \
	  $(CONFIG), --config $(CONFIG))

## The whole policy sweep (every action of 11 services x every principal kind x MFA states).
sweep: setup
	$(PY) -m tests.policy.sweep

## Compare / deploy the embedded default, or CONFIG=path.json (needs AWS credentials and
## bootstrapped accounts; `make preflight` checks them first).
## `cdk diff` with no stack names compares every stack. Deploy asks before any change that
## broadens security (IAM, SCPs, resource policies); a pipeline that reviewed the diff passes
## APPROVAL=never explicitly.
APPROVAL ?= broadening

# Without credentials CDK prints "Unable to resolve AWS account" twice and a bootstrap hint: say
# what is missing instead, before CDK starts.
CREDENTIALS := $(PY) -c "import boto3, sys; sys.exit(boto3.Session().get_credentials() is None)" \
	|| { echo "no AWS credentials: sign in to the deploying account first (aws sso login, \
AWS_PROFILE=..., or a pipeline role), then run this again"; exit 2; }

diff: setup
	@$(CREDENTIALS)
	$(CDK) diff

deploy: setup
	@$(CREDENTIALS)
	$(CDK) deploy --all --require-approval $(APPROVAL) || { \
	  echo "make deploy failed. If CDK said the environment is not bootstrapped, run once per account and region:"; \
	  echo "  PATH=$(CURDIR)/$(VENV)/bin:\$$PATH npx cdk bootstrap aws://<account-id>/<region>"; exit 1; }

## Read-only checks of what the first deploy needs (bootstrap and trust, trusted access, delegated
## admin, SCP slots, Chatbot), with the deploying account's credentials; CONFIG=path.json as above.
preflight: setup
	$(VENV)/bin/mfa-guardrails preflight $(if $(CONFIG),--config $(CONFIG))

## Who would be locked out, in every account, before enforce: run with the security account's
## credentials; writes readiness/report.{json,csv,sarif,html}.
## IN_AWS=1: start the deployed scheduled run now (security account credentials) and wait.
org-readiness: setup
	$(VENV)/bin/mfa-guardrails org-readiness $(if $(CONFIG),--config $(CONFIG)) \
	  $(if $(IN_AWS),--in-aws,$(foreach kind,json csv sarif html,--$(kind) readiness/report.$(kind)))

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache .tools
