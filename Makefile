# Two commands for a fresh clone: `make run` and `make test` (each installs when needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0
STAMP := $(VENV)/.installed

.PHONY: install run test browser bench bench-quick bench-tabular clean

install: $(STAMP)

# torch first and pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
# constraints.txt: the versions the goldens were made with (a newer pandas or scikit-learn
# moves the tabular figures in their last digits).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,ray,mlflow]'
	touch $(STAMP)

run: install
	$(BIN)/genautoml search configs/digits.yaml

test: install browser
	$(BIN)/ruff check genautoml tests bench
	$(BIN)/python -m pytest

# The report's browser test opens report.html in Debian's chromium (headless, offline).
# Installed when missing and we may (root, or sudo without a password); otherwise that test
# is skipped with its reason, unless GENAUTOML_REQUIRE_BROWSER is set (.ci/run sets it).
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" != none ] && command -v apt-get >/dev/null; then \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	  else echo "note: $(CHROMIUM) is missing and cannot be installed here; the browser test will be skipped"; fi; }

clean:
	rm -rf $(VENV) .venv-sdv runs .pytest_cache

# Benchmarks (not tests): figures go to bench/results/ and docs/benchmarks.md.
bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick

# Tables against SDV's synthesizers. SDV lives in its own virtualenv (.venv-sdv): it is a
# benchmark reference, never a dependency of genautoml (it would also pin an older pandas).
SDV_BIN := .venv-sdv/bin
$(SDV_BIN)/.installed:
	test -x $(SDV_BIN)/python || $(PYTHON) -m venv .venv-sdv
	$(SDV_BIN)/python -m pip install --quiet --upgrade pip
	$(SDV_BIN)/python -m pip install --quiet torch==$(TORCH_VERSION)
	$(SDV_BIN)/python -m pip install --quiet sdv==2.0.0 pyarrow
	touch $@

bench-tabular: install $(SDV_BIN)/.installed
	$(BIN)/python -m bench.tabular_sdv
