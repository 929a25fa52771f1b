# Two commands do all the set-up on a fresh machine:  make demo  and  make test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test test-all bench lock clean fmt

# A fresh virtual environment with the locked set, then govgate itself (editable, no other deps).
$(VENV)/.installed: requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/govgate demo

test: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Slow and heavy tests too (benchmarks stay out).
test-all: install
	$(BIN)/python -m pytest -m "not benchmark"

lock: install
	$(BIN)/python -m pip install -q -e ".[test,dask]"
	{ head -3 requirements.lock; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) .govgate .pytest_cache

# Format and lint fixes (ruff, configured in pyproject.toml).
fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
