# All targets install into .venv (created once, reused).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-numpy test-all faults bench bench-quick lint app classroom validate validate-quick patterns calibrate docs clean

$(BIN)/python:
	@echo "givetake: creating $(VENV) (first run only)"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# the calibration extra (pyabc) too, so that make test-all, as CI runs it, runs the calibration
# tests; the stamp follows this file as well, so an existing .venv gets what a changed recipe adds
$(STAMP): pyproject.toml Makefile | $(BIN)/python
	@echo "givetake: installing the project and its dependencies into $(VENV) (first run only; a few minutes, quiet)"
	$(BIN)/pip install --quiet -e ".[dev,calibrate]"
	@echo "givetake: installed; compiling the simulation's kernels once (about a minute, first run only)"
	$(BIN)/python -m simulation.warmup
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/givetake sweep networking_styles --out results/networking_styles-$$(date +%Y%m%d-%H%M%S)

# the quick suite: everything but the tests marked slow (statistical checks over many
# seeded runs, long integration tests); test-all runs every test, as CI does
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow"

# the quick suite with the compiled kernels off: the numpy path throughout (make test runs
# the kernels where numba is installed, and tests/test_compiled.py checks them against numpy)
test-numpy: $(STAMP)
	GIVETAKE_COMPILED=0 $(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

faults: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests/test_faults.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run_all.py --quick

validate: $(STAMP)
	$(BIN)/givetake validate --write-docs

validate-quick: $(STAMP)
	$(BIN)/givetake validate --quick

patterns: $(STAMP)
	$(BIN)/givetake validate --patterns --seeds 20 --write-docs

calibrate: $(STAMP)
	$(BIN)/givetake calibrate calibration
	$(BIN)/givetake calibrate calibration_platform

docs: $(STAMP)
	$(BIN)/python -m simulation.schema_doc
	$(BIN)/python -m simulation.odd

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

app: $(STAMP)
	$(BIN)/givetake app

classroom: $(STAMP)
	$(BIN)/givetake classroom

clean:
	rm -rf $(VENV) build *.egg-info
