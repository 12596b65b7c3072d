# triage: the README's commands. `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-fast test-deps bench install install-dev clean help

help:
	@echo "make demo   - create .venv, install, run 'triage demo'"
	@echo "make test   - install the dev extra and run the test suite"
	@echo "make bench  - accuracy and performance benchmarks (long)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/triage demo

# System packages the tests use: Debian's docker-compose validates docker-compose.yml;
# Debian's dovecot-imapd is the IMAP server the mail tests start (tests/imap_server.py).
DOVECOT      ?= /usr/sbin/dovecot
DOVECOT_IMAP ?= /usr/lib/dovecot/imap
test-deps:
	@pkgs=""; \
	command -v docker-compose >/dev/null 2>&1 || { \
	  echo "installing Debian's docker-compose (the tests validate docker-compose.yml with it)"; \
	  pkgs="$$pkgs docker-compose"; }; \
	{ { command -v dovecot || [ -x "$(DOVECOT)" ]; } >/dev/null 2>&1 && [ -x "$(DOVECOT_IMAP)" ]; } || { \
	  echo "installing Debian's dovecot-imapd (the IMAP tests run a private Dovecot server)"; \
	  pkgs="$$pkgs dovecot-imapd"; }; \
	command -v tesseract >/dev/null 2>&1 || { \
	  echo "installing Debian's tesseract-ocr (the OCR tests read a scanned PDF with it)"; \
	  pkgs="$$pkgs tesseract-ocr"; }; \
	[ -z "$$pkgs" ] || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$pkgs; }

test: install-dev test-deps
	$(BIN)/python -m pytest

test-fast: install-dev
	$(BIN)/python -m pytest -m "not slow"

bench: install-dev
	$(BIN)/python -m benchmarks.fields
	$(BIN)/python -m benchmarks.priority
	$(BIN)/python -m benchmarks.classifier
	$(BIN)/python -m benchmarks.api
	$(BIN)/python -m benchmarks.imap_ingest
	$(BIN)/python -m benchmarks.invoices
	$(BIN)/python -m benchmarks.soak

clean:
	rm -rf $(VENV) var .pytest_cache
