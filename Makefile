# hazardloop — the two commands: `make run` (the service on its embedded default) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit install bytecode bench bench-quick bench-deployed bench-open-cases record-histories clean lock

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

# every figure of the full bench at small sizes (issue #21: at most 3 minutes)
bench-quick: bytecode
	$(BIN)/python -m bench.run --quick

# the service as deployed alone (API and worker in their own processes, over HTTP) against a plain skeleton
bench-deployed: bytecode
	$(BIN)/python -m bench.deployed

# benchmark 5 alone at the issue's 50,000 open cases: about 45 minutes on two cores, so not in `make bench`
bench-open-cases: bytecode
	$(BIN)/python -m bench.run --open-cases 50000

record-histories: $(STAMP)
	$(BIN)/python -m tests.histories.record

# The lock files, with hashes: requirements.lock (runtime, the image) and requirements-dev.lock (with the
# dev and embedded extras, CI). Regenerate after changing pyproject.toml's dependencies.
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	test -x .lock-venv/bin/pip-compile || ($(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install -q pip-tools)
	.lock-venv/bin/pip-compile $(LOCK_FLAGS) --output-file requirements.lock pyproject.toml
	.lock-venv/bin/pip-compile $(LOCK_FLAGS) --extra dev --output-file requirements-dev.lock pyproject.toml
	$(PYTHON) scripts/lock_tidy.py requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
