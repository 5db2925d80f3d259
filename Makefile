# hazardloop — the two commands: `make run` (the service on its embedded default) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit install bytecode bench bench-open-cases record-histories clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Bytecode for the project's modules, refreshed where stale. The workflow sandbox imports a workflow's
# modules afresh for every workflow instance; with no .pyc (PYTHONDONTWRITEBYTECODE, or a read-only tree)
# each import compiles them from source, a few milliseconds per instance and per replayed history.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q domain workflows activities store runtime notify audit starter worker.py

run: bytecode
	$(BIN)/hazardloop dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

test: bytecode lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider --durations=15

bench: bytecode
	$(BIN)/python -m bench.run

# benchmark 5 alone at the issue's 50,000 open cases: about 45 minutes on two cores, so not in `make bench`
bench-open-cases: bytecode
	$(BIN)/python -m bench.run --open-cases 50000

record-histories: $(STAMP)
	$(BIN)/python -m tests.histories.record

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
