# Two commands (see README.md): `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEMO_DIR ?= demo-output

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/cchc-xl demo $(DEMO_DIR)

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks

test: lint
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .hypothesis
