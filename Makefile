# Two entry points for a fresh clone: `make dev` runs Stormwatch locally, `make test` runs every test.
# Both build the virtual environment first; nothing has to be installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
# The table and the demo org's keys are kept here between runs; `make dev FRESH=1` starts empty.
DATA ?= .stormwatch/data

.PHONY: dev test tools screenshots lint bench clean sam-lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

dev: $(STAMP)
	$(BIN)/stormwatch dev --port $(PORT) --credentials-file .stormwatch/credentials.json --data $(DATA) $(if $(FRESH),--fresh) --sns-test-cert auto

# Real tools the tests drive: Debian's Prometheus Alertmanager, and Debian's Chromium for the console's
# browser tests (driven by Playwright's Python package; Playwright never downloads a browser here). Installed
# when running as root, as CI does; elsewhere their tests are skipped with a note.
TOOL_PACKAGES := prometheus-alertmanager:prometheus-alertmanager chromium:chromium
tools:
	@missing=""; for pair in $(TOOL_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing (Debian) for the tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "note:$$missing missing and this is not root: their tests will be skipped"; \
	  fi; fi

# `sam validate --lint` as a deployer runs it, with the SAM CLI from PyPI in a venv of its own: its ~100
# packages take minutes to install, so the dev venv stays without them and this one is built once (the stamp
# names the version; `make test SAM_VENV=~/.cache/sam` keeps one outside the clone). It reads no credentials
# and calls no AWS; telemetry is off.
SAM_CLI_VERSION := 1.170.0
SAM_VENV ?= .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION)
	touch $(SAM_STAMP)

sam-lint: $(SAM_STAMP)
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(SAM_VENV)/bin/sam validate --lint --template template.yaml

# The console's screenshots in docs/images/, as the browser tests take them.
screenshots: $(STAMP) tools
	STORMWATCH_SCREENSHOTS=docs/images $(BIN)/pytest tests/e2e/test_console.py -q

test: $(STAMP) tools sam-lint
	$(BIN)/ruff check .
	$(BIN)/mypy
	@# pytest exits 5 when it collected nothing: that is a failure, not a pass.
	$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/cpu_per_alert.py
	$(BIN)/python bench/snapshot_sizes.py
	$(BIN)/python bench/dynamodb_costs.py
	$(BIN)/python bench/cost_model.py
	$(BIN)/python bench/queries.py
	$(BIN)/python bench/sweeps.py 100 10000
	$(BIN)/python bench/storm.py
	$(BIN)/python bench/local_dynamodb.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/postmortems.py
	$(BIN)/python bench/context.py
	$(BIN)/python bench/schedules.py
	$(BIN)/python bench/console.py

clean:
	rm -rf $(VENV) $(SAM_VENV) .stormwatch .pytest_cache .mypy_cache .ruff_cache
