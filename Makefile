# Two commands for a fresh clone: `make run` and `make test` (each installs when needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0
STAMP := $(VENV)/.installed

.PHONY: install run test bench bench-quick clean

install: $(STAMP)

# torch first and pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install --quiet -e '.[test,ray]'
	touch $(STAMP)

run: install
	$(BIN)/genautoml search configs/digits.yaml

test: install
	$(BIN)/ruff check genautoml tests bench
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache

# Benchmarks (not tests): figures go to bench/results/ and docs/benchmarks.md.
bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick
