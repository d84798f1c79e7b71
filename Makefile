# Skillport: `make serve` runs the service, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_CONCURRENCY ?= 2

.PHONY: install serve test test-sqlite test-postgres bench load lint docs docs-serve config-reference

# Each command installs what it needs: `make serve` the serving requirements only, `make test`
# (and the benchmarks, the load run, the linters and the docs) the test requirements on top.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BIN)/.installed-base: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(BIN)/.installed: requirements/base.txt requirements/test.txt requirements/docs.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@ $(BIN)/.installed-base

install: $(BIN)/.installed

# supervisord (config/supervisord.conf) runs and restarts gunicorn, the task worker and the
# scheduler (the periodic jobs; SKILLPORT_SWEEP_INTERVAL and SKILLPORT_WEBHOOK_SWEEP_INTERVAL from
# the environment reach it as they are); Ctrl-C stops them all.
serve: export SKILLPORT_ROOT := $(CURDIR)
serve: export SKILLPORT_PYTHON := $(CURDIR)/$(BIN)/python
serve: export SKILLPORT_VAR_DIR := $(abspath $(or $(SKILLPORT_VAR_DIR),var))
serve: export PORT := $(PORT)
serve: export WEB_CONCURRENCY := $(WEB_CONCURRENCY)
# Links in webhook payloads and `git_url` name the address this run serves on, unless set.
serve: export SKILLPORT_PUBLIC_URL := $(or $(SKILLPORT_PUBLIC_URL),http://127.0.0.1:$(PORT))
# Every supervised process writes its metric counts here (core/metrics.py); emptied at each start,
# so a scrape sums this run's processes only (Prometheus handles the counters' reset).
serve: export PROMETHEUS_MULTIPROC_DIR := $(SKILLPORT_VAR_DIR)/prometheus
serve: $(BIN)/.installed-base
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py demo --port $(PORT)
	mkdir -p "$$SKILLPORT_VAR_DIR/log"
	rm -rf "$$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$$PROMETHEUS_MULTIPROC_DIR"
	exec $(BIN)/supervisord -c config/supervisord.conf

# The suite on SQLite, then again on PostgreSQL when DATABASE_URL is set.
test: install
	env -u DATABASE_URL $(BIN)/pytest
	@if [ -n "$$DATABASE_URL" ]; then echo "== again on $$DATABASE_URL"; $(BIN)/pytest; fi

# Measures, then redraws docs/performance/*.png from benchmarks/results/*.json (even after a
# failed benchmark: the charts show what was measured).
bench: install
	$(BIN)/python -m benchmarks; status=$$?; $(BIN)/python -m benchmarks.charts && exit $$status

# A bounded locust run (LOAD_SECONDS, default 120) against gunicorn, two task workers and the
# scheduler on a throwaway PostgreSQL; FAULTS=1 kills and restarts parts of it meanwhile.
# Figures: benchmarks/results/load.json (load_faults.json). See docs/operations/load.md.
LOAD_SECONDS ?= 120
load: install
	LOAD_SECONDS=$(LOAD_SECONDS) $(BIN)/python -m benchmarks.load $(if $(FAULTS),--faults)

# The tables of docs/reference/configuration.md from the settings' declarations (each app's
# conf.py, config/environment.py); tests/test_configuration_reference.py fails while they are stale.
config-reference: install
	$(BIN)/python manage.py config_reference

# The documentation site (mkdocs.yml, docs/) into site/; --strict fails on a broken link or anchor.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

DOCS_PORT ?= 8001
docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:$(DOCS_PORT)

# ruff, and import-linter's contracts (.importlinter): the layers and no import circles.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
