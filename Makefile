# Two entry points for a fresh clone: `make dev` runs Stormwatch locally, `make test` runs every test.
# Both build the virtual environment first; nothing has to be installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000

.PHONY: dev test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

dev: $(STAMP)
	$(BIN)/stormwatch dev --port $(PORT) --credentials-file .stormwatch/credentials.json

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	@# pytest exits 5 when it collected nothing: that is a failure, not a pass.
	$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/dynamodb_costs.py

clean:
	rm -rf $(VENV) .stormwatch .pytest_cache .mypy_cache .ruff_cache
