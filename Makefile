# Two commands (see README.md): `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEMO_DIR ?= demo-output

.PHONY: demo test test-fast test-engine-quick lint bench clean

# `make demo` installs the package with its [demo] extra (the sample-PDF makers); `make test` with [test]
# (which includes [demo]). A district's own install needs neither.
$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	touch $@

$(VENV)/.installed-demo: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install -q -e '.[demo]'
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/cchc-xl demo $(DEMO_DIR)

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks

test: lint
	$(BIN)/pytest -q

# The local loop: no external program (LibreOffice, Gnumeric, Tesseract, PostgreSQL) is started.
test-fast: $(VENV)/.installed
	$(BIN)/pytest -q -m "not libreoffice and not gnumeric and not ocr and not postgres"

# The spreadsheet-engine agreement (Python score = LibreOffice's) on few drawn examples: about a minute of CPU.
test-engine-quick: $(VENV)/.installed
	CCHC_XL_QUICK=1 $(BIN)/pytest -q -m libreoffice tests/test_workbook_engine.py tests/test_rules_properties.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .hypothesis
