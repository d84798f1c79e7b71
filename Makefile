# Skillport: `make serve` runs the service, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_CONCURRENCY ?= 2

.PHONY: install serve test test-sqlite test-postgres bench lint

$(BIN)/.installed: requirements/base.txt requirements/test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@

install: $(BIN)/.installed

serve: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py demo --port $(PORT)
	$(BIN)/python manage.py db_worker --no-startup-delay & worker=$$!; \
	$(BIN)/python manage.py sweep_exports --loop --interval 60 > /dev/null & exports=$$!; \
	$(BIN)/python manage.py deliver_webhooks --enqueue --loop --interval 30 > /dev/null & hooks=$$!; \
	trap 'kill $$worker $$exports $$hooks 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn config.wsgi -c config/gunicorn.py --bind 127.0.0.1:$(PORT) --workers $(WEB_CONCURRENCY) \
		--access-logfile - --graceful-timeout 5

# The suite on SQLite, then again on PostgreSQL when DATABASE_URL is set.
test: install
	env -u DATABASE_URL $(BIN)/pytest
	@if [ -n "$$DATABASE_URL" ]; then echo "== again on $$DATABASE_URL"; $(BIN)/pytest; fi

bench: install
	$(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
