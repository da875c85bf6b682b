# Two commands set everything up on a fresh clone with only Python 3:
#   make demo   create .venv, install hvrt with all extras, run the demo job (`hvrt demo`)
#   make test   the same set-up, then the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean clean-cache

# setup.py compiles the histogram engine's kernels at install (hvrt._hist._aot), from
# src/hvrt/_hist and the local models' kernel modules: editing those sources reinstalls, so the tests run the current ones
$(STAMP): pyproject.toml setup.py $(wildcard src/hvrt/_hist/*.py) src/hvrt/_grouped_products.py src/hvrt/_shrunk_solve.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[all]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hvrt demo

test: $(STAMP)
	$(BIN)/python -m pytest

# ruff check with pyproject's [tool.ruff] rules (not ruff format: the code is laid out by hand)
lint: $(STAMP)
	$(BIN)/python -m ruff check src tests benchmarks examples

# numba caches each kernel against its own file only (see docs/DESIGN.md)
clean-cache:
	find src -name __pycache__ -type d -prune -exec rm -rf {} +

clean: clean-cache
	rm -rf $(VENV) build dist src/*.egg-info src/hvrt/_hist/_aot.*.so src/hvrt/_hist/_aot.*.pyd
