# zhuqi: `make demo` solves the seed scenarios, `make test` runs the test suite.
# Both create .venv with a Python >= 3.12 found on this machine (tools/find-python.sh).
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-dev
OUT     := out

.PHONY: venv demo test lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(sh tools/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,dask]'
	@touch $@

demo: $(STAMP)
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
