# Two entry points for a fresh clone: `make dev` runs Stormwatch locally, `make test` runs every test.
# Both build the virtual environment first; nothing has to be installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
# The table and the demo org's keys are kept here between runs; `make dev FRESH=1` starts empty.
DATA ?= .stormwatch/data

.PHONY: dev test tools lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

dev: $(STAMP)
	$(BIN)/stormwatch dev --port $(PORT) --credentials-file .stormwatch/credentials.json --data $(DATA) $(if $(FRESH),--fresh) --sns-test-cert auto

# Real alerting tools the tests drive: Debian's Prometheus Alertmanager (installed when running as root,
# as CI does; elsewhere its test is skipped with a note).
tools:
	@command -v prometheus-alertmanager >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing prometheus-alertmanager (Debian) for the tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null; \
	  else \
	    echo "note: prometheus-alertmanager is missing and this is not root: its test will be skipped"; \
	  fi; }

test: $(STAMP) tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	@# pytest exits 5 when it collected nothing: that is a failure, not a pass.
	$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/dynamodb_costs.py
	$(BIN)/python bench/queries.py
	$(BIN)/python bench/sweeps.py 100 10000
	$(BIN)/python bench/storm.py
	$(BIN)/python bench/local_dynamodb.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/postmortems.py
	$(BIN)/python bench/schedules.py

clean:
	rm -rf $(VENV) .stormwatch .pytest_cache .mypy_cache .ruff_cache
