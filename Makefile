# zhuqi: `make demo` solves the seed scenarios, `make test` runs the test suite,
# `make docs` builds the documentation site into site/ (strictly: a broken link fails it).
# Both create .venv with a Python >= 3.12 found on this machine (tools/find-python.sh).
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-dev
OUT     := out

.PHONY: venv demo test lint bench docs docs-serve examples clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "make: setting up $(VENV) (first time only, a few minutes: pip installs OR-Tools, pandas, Mesa, ...)"
	@test -x $(PY) || "$$(sh tools/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@echo "make: installing zhuqi and its dependencies into $(VENV) ..."
	$(PY) -m pip install --quiet -e '.[dev,dask]'
	@echo "make: $(VENV) ready"
	@touch $@

demo: $(STAMP)
	@echo "make: running the demo into $(OUT) (the first run also compiles the simulation kernel)"
	$(PY) -m zhuqi.demo --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest -q -n 2 tests

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy src

DOCSTAMP := $(VENV)/.installed-docs

$(DOCSTAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,dask,docs]'
	@touch $@

docs: $(DOCSTAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --clean

docs-serve: $(DOCSTAMP)
	$(PY) -m mkdocs serve

# rerun every command whose output README.md and docs/ show (a few minutes)
examples: $(STAMP)
	$(PY) docs/examples.py

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(OUT) site
