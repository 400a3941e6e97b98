# altledger — the two commands.
#
#   make verify   every machine check the repository holds (TLC, z3, vectors,
#                 conformance, trace validation) with a summary table
#   make test     the test suite (pytest, Hypothesis `ci` profile) and the docs
#                 built with warnings as errors
#
# Both set themselves up on a fresh machine: a Java runtime (apt-get, only if
# `java` is missing), a virtualenv in .venv, and the package with its extras.

PYTHON   ?= python3.11
VENV     ?= .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.altledger-installed
# pytest workers: both cores by default; override with `make test JOBS=1`.
JOBS     ?= 2

.PHONY: verify test setup java docs clean bench fuzz

verify: setup
	$(BIN)/altledger verify

test: setup
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/pytest -n $(JOBS) --timeout=900
	$(MAKE) docs

docs: setup
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

setup: java $(STAMP)

java:
	@if ! command -v java >/dev/null 2>&1; then \
	  echo "java not found: installing a Java runtime with apt-get"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless; \
	fi

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found (altledger needs Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,docs]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) docs/_build build *.egg-info .hypothesis .pytest_cache
