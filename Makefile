# Two commands on a fresh machine: `make demo` (the main job on bundled demo data) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
DEMO_START ?= 2026-11-01
DEMO_DAYS ?= 7
DEMO_END := $(shell date -d "$(DEMO_START) + $(DEMO_DAYS) days - 1 day" +%F)
export DAGSTER_HOME ?= $(CURDIR)/data/dagster

.PHONY: help setup demo test lint dev clean

help:
	@echo "make demo   set up .venv, generate a week of landing data, run every asset, print counts"
	@echo "make test   set up .venv (with the Spark extra), lint, run the whole test suite"
	@echo "make dev    open the Dagster UI (dagster dev) on the same warehouse"

$(UV):
	python3 -m pip install --quiet --user uv

$(BIN)/engagement: pyproject.toml uv.lock | $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --all-groups --inexact --compile-bytecode
	@touch $@

# The Spark engine (extra `spark`), for the test that builds the marts on Spark too.
$(VENV)/.spark: $(BIN)/engagement
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --all-groups --extra spark --compile-bytecode
	@touch $@

setup: $(BIN)/engagement target/manifest.json

target/manifest.json: $(BIN)/engagement dbt_project.yml $(shell find dbt_project -type f)
	$(BIN)/dbt parse --quiet --profiles-dir dbt_project

demo: setup
	rm -rf data/landing
	$(BIN)/engagement generate --out data/landing --start $(DEMO_START) --days $(DEMO_DAYS) --events-per-day 40000
	$(BIN)/engagement run --from $(DEMO_START) --to $(DEMO_END)
	$(BIN)/engagement counts

lint: setup
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests
	$(BIN)/mypy orchestration
	ENGAGEMENT_WAREHOUSE=:memory: $(BIN)/sqlfluff lint dbt_project/models dbt_project/tests

# A pytest worker per core (pytest-xdist), at most 4: each may hold a Spark driver (2 GB) or dbt.
test: lint $(VENV)/.spark
	$(BIN)/pytest -n auto --maxprocesses 4

dev: setup
	mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf data target logs
