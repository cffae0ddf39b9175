# keyguard — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DEMO_HOME ?= $(CURDIR)/demo-home
DEMO_ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: demo test test-fast lint bench fmt clean pg-start pg-stop babel install

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

install: $(VENV)/.installed

## make demo: build .venv, make the demo organization, detect, serve on 127.0.0.1:8000
demo: $(VENV)/.installed
	KEYGUARD_HOME=$(DEMO_HOME) $(BIN)/keyguard demo $(DEMO_ARGS)

## make test: the whole suite (SQLite + a throw-away PostgreSQL + real chromium)
test: $(VENV)/.installed
	@set -e; url=$$(.ci/pg.sh start); trap '.ci/pg.sh stop' EXIT; \
	KEYGUARD_TEST_PG_URL=$$url $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q $(PYTEST_ARGS)

test-fast: $(VENV)/.installed
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not browser and not slow" $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(VENV)/.installed
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## make bench: speed and quality figures (prints the commands that made them)
bench: $(VENV)/.installed
	$(BIN)/python -m bench $(BENCH_ARGS)

## make babel: extract UI strings into the catalogues (then fill the Chinese entries)
babel: $(VENV)/.installed
	$(BIN)/python -m keyguard.web.i18n

pg-start:
	@.ci/pg.sh start
pg-stop:
	@.ci/pg.sh stop

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
