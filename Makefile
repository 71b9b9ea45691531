# zhuqi: `make demo` solves the seed scenarios, `make test` runs the test suite.
# Both create .venv with a Python >= 3.12 found on this machine (tools/find-python.sh).
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-dev
OUT     := out

.PHONY: venv demo test lint bench clean

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

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(OUT)
