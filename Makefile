# The two commands of README.md: `make run` and `make test`. Each sets up what it needs.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
GATEWAY_PORT ?= 8000
PORTAL_PORT ?= 8080
export GATEWAY_PORT PORTAL_PORT

.PHONY: run test lint bench-smoke bench services fonts dead-letters

$(STAMP): pyproject.toml
	@python=$$(deploy/local/setup.sh python) && \
	  { [ -x $(VENV)/bin/python ] || $$python -m venv $(VENV); }
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

services:
	@deploy/local/setup.sh rabbitmq

# The CJK font the official documents (PDF) embed.
fonts:
	@deploy/local/setup.sh fonts

# The portal on http://127.0.0.1:$(PORTAL_PORT), every service of the city tenant and the gateway
# on http://127.0.0.1:$(GATEWAY_PORT), under supervisord: a process that dies is restarted with
# back-off while the others keep serving (deploy/local/supervise.py); Ctrl-C stops all.
run: $(STAMP) services fonts
	@mkdir -p var
	@echo "Open the portal: http://127.0.0.1:$(PORTAL_PORT)/  (demo login: host-unit / Weihai-Demo-2026; more in README.md)"
	@echo "Starting the platform: gateway on http://127.0.0.1:$(GATEWAY_PORT) (Ctrl-C stops it)"
	$(VENV)/bin/python -m deploy.local.launch

# A station's life through the public API of the platform `make run` serves (in another
# terminal): each step said in Chinese and English; every run uses new names.
.PHONY: demo
demo: $(STAMP)
	$(VENV)/bin/python -m deploy.local.walkthrough

# The whole suite on the real RabbitMQ with SQLite, then again on PostgreSQL if TEST_DATABASE_URL is set.
# The browser journeys (tests/browser) run in a pytest of their own, without eventlet's patching.
test: $(STAMP) services fonts
	@deploy/local/setup.sh browser
	$(VENV)/bin/ruff check .
	env -u TEST_DATABASE_URL $(VENV)/bin/python -m pytest
	env -u TEST_DATABASE_URL $(VENV)/bin/python -m pytest -p no:pytest_eventlet tests/browser
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again against PostgreSQL: $$TEST_DATABASE_URL"; \
	  $(VENV)/bin/python -m pytest; fi

# The browser journeys again, writing each page at desktop and phone width to docs/screenshots/.
.PHONY: screenshots
screenshots: $(STAMP) services
	@deploy/local/setup.sh browser
	SCREENSHOTS=1 $(VENV)/bin/python -m pytest -p no:pytest_eventlet tests/browser

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Every bench/<name>.py but the package files and the helpers they share (bench/common.py).
BENCHES = $(filter-out bench/__init__.py bench/common.py,$(wildcard bench/*.py))

bench-smoke: $(STAMP) services fonts
	@for b in $(BENCHES); do \
	  echo "== $$b --smoke"; $(VENV)/bin/python $$b --smoke || exit 1; done

bench: $(STAMP) services fonts
	@for b in $(BENCHES); do \
	  echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

# make dead-letters SERVICE=applications [REPLAY=1] [ID=message-id]
dead-letters: $(STAMP)
	$(VENV)/bin/python -m servicekit.deadletter $(if $(REPLAY),replay,list) $(SERVICE) $(if $(ID),--id $(ID))
