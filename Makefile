# Quick start: `make demo` serves the demo, `make test` runs every check and test, `make serve`
# runs the production setup locally (bin/serve).
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell bin/find-python)
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
export DJANGO_DEBUG ?= 1
# `make demo DEMO_PORT=8001 SANDBOX_PORT=8766 OIDC_PORT=8781 SAML_PORT=8791` moves the demo's
# servers; `make serve SERVE_PORT=8001` moves the production setup.
export DEMO_PORT SANDBOX_PORT OIDC_PORT SAML_PORT SERVE_PORT

.PHONY: install demo serve test lint pytest test-postgres screenshots

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	bin/demo

serve: install
	bin/serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy convai_dashboard
	$(VENV)/bin/lint-imports

pytest: install
	$(VENV)/bin/pytest

test: lint pytest

test-postgres: install
	DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/pytest

screenshots: install
	$(PY) bin/screenshots
