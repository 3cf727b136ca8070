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
LOCK := requirements.lock
# axe-core, the accessibility checker the browser tests run in each page of the debtor's space: a pinned
# release from the npm registry, its tarball checked against this integrity before anything is unpacked.
AXE_VERSION := 4.10.3
AXE_INTEGRITY := sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg==
AXE_DIR := .cache/axe-core

.PHONY: run test test-any-day bench setup setup-dev lock audit debs debs-test axe translations migrate demo lint clean

run: setup migrate demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup-dev debs-test translations
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-any-day: setup-dev debs-test translations
	TZ=UTC faketime -m -f "@$(ODD_MOMENT)" $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup-dev debs-test
	$(PY) -m bench

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

# Every dependency, the test tools included, is installed from one lock file with exact versions and
# hashes (`make lock` writes it from pyproject.toml), so that a release published elsewhere cannot
# change a fresh install. The stamp re-runs the install only when the lock changes.
$(VENV)/.installed: $(LOCK) | $(VENV)/bin/activate
	$(VENV)/bin/pip install -q --require-hashes -r $(LOCK)
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

setup: debs $(VENV)/.installed translations

setup-dev: setup axe

# Pins what pyproject.toml allows to today's releases; run it after changing a dependency.
lock: $(VENV)/bin/activate
	$(VENV)/bin/pip install -q "pip-tools>=7.4"
	$(VENV)/bin/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-find-links --no-emit-index-url -o $(LOCK) pyproject.toml

# Known vulnerabilities of the locked versions (PyPI's advisory data); .ci/audit-ignore lists, each with
# its reason, the advisories we accept.
audit: setup
	$(PY) .ci/audit.py $(LOCK) .ci/audit-ignore

debs:
	@missing=$$(for p in $(RUN_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

debs-test:
	@missing=$$(for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

# tests/e2e read $(AXE_DIR)/axe.min.js; the stamp names the version, so a new pin fetches again.
axe: $(AXE_DIR)/$(AXE_VERSION).stamp

$(AXE_DIR)/$(AXE_VERSION).stamp:
	@command -v npm >/dev/null || { echo "installing npm"; $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	npm pack --silent --pack-destination "$$tmp" axe-core@$(AXE_VERSION) >/dev/null; \
	got=$$($(PYTHON) -c 'import base64, hashlib, sys; print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$$tmp/axe-core-$(AXE_VERSION).tgz"); \
	if [ "$$got" != "$(AXE_INTEGRITY)" ]; then echo "axe-core $(AXE_VERSION): integrity $$got, expected $(AXE_INTEGRITY)" >&2; exit 1; fi; \
	tar -xzf "$$tmp/axe-core-$(AXE_VERSION).tgz" -C "$$tmp" package/axe.min.js; \
	mkdir -p $(AXE_DIR); rm -f $(AXE_DIR)/*.stamp; mv "$$tmp/package/axe.min.js" $(AXE_DIR)/axe.min.js; touch $@
	@echo "axe-core $(AXE_VERSION) in $(AXE_DIR)"

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
