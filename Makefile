# The README's commands. Each one installs what it is missing first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000

.PHONY: run test lint bench system-deps lock upgrade clean

# PORT reaches every step: in development the links the portal prints and emails follow it.
run: $(VENV)/.installed-run
	PORT=$(PORT) $(BIN)/portal setup
	PORT=$(PORT) $(BIN)/portal demo
	PORT=$(PORT) ./scripts/serve.sh

test: $(VENV)/.installed-dev system-deps
	$(BIN)/pytest -q -n auto

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

bench: $(VENV)/.installed-dev system-deps
	./scripts/bench.sh

# Debian packages the tests and PDFs need (Chromium, Pango for WeasyPrint, poppler, wrk).
system-deps:
	./scripts/install-system-deps.sh

$(BIN)/python:
	./scripts/make-venv.sh $(PYTHON) $(VENV)

# Installs come only from the locks in requirements/, every hash checked (scripts/install-locked.sh).
$(VENV)/.installed-run: requirements/run.txt pyproject.toml | $(BIN)/python
	./scripts/install-locked.sh $(VENV) requirements/run.txt
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	./scripts/install-locked.sh $(VENV) requirements/dev.txt --exact --extra dev
	touch $@ $(VENV)/.installed-run

# The locks from pyproject.toml's ranges, keeping today's pins where they still fit.
lock: $(VENV)/.installed-dev
	./scripts/lock.sh

# The newest versions the ranges allow, installed afresh and tested: review, then commit.
upgrade: $(VENV)/.installed-dev
	./scripts/lock.sh --upgrade
	rm -rf $(VENV)
	$(MAKE) test

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
