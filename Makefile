# Amiable: `make run` sets everything up and serves the platform with demo data;
# `make test` sets up and runs the tests. Both work on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# WeasyPrint's libraries (harfbuzz-subset keeps it six times faster), fonts for the letters.
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# Tests also read PDFs back (poppler-utils), drive the system Chromium and move the clock (faketime).
TEST_DEBS := $(RUN_DEBS) poppler-utils chromium faketime
# `make test-any-day` runs the suite with the whole process's clock (and its children's) at this UTC
# moment: 01:55 in Paris on Sunday 28 March 2027, minutes before the clocks go forward, the day
# before Easter Monday. Another: ODD_MOMENT="2027-12-31 22:30:00" (New Year's Eve, 23:30 in Paris).
ODD_MOMENT ?= 2027-03-28 00:55:00

.PHONY: run test test-any-day bench setup setup-dev debs debs-test translations migrate demo lint clean

run: setup migrate demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup-dev debs-test translations
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-any-day: setup-dev debs-test translations
	TZ=UTC faketime -m -f "@$(ODD_MOMENT)" $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup-dev
	$(PY) -m bench

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

# The stamp files re-run an install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/activate
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

setup: debs $(VENV)/.installed translations

setup-dev: debs $(VENV)/.installed-dev

debs:
	@missing=$$(for p in $(RUN_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

debs-test:
	@missing=$$(for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d translations

migrate: setup
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) agency demo

lint: setup-dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) instance/amiable.db
