# The README's commands. Each one installs what it is missing first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000

.PHONY: run test lint bench system-deps clean

run: $(VENV)/.installed-run
	$(BIN)/portal db upgrade
	$(BIN)/portal demo
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

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-run
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
