# Two commands set everything up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Where pip gets torch. Empty: the configured index (on this project's build machines a local
# CPU build). Elsewhere PyPI's torch is the multi-GB CUDA build; for the CPU one set
# TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu (in the environment or on the make line).
TORCH_INDEX_URL ?=
TORCH_INDEX := $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL),)

.PHONY: run test lint install bench evaluate serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU build from local disk, never the CUDA one.
	$(PY) -m pip install --quiet $(TORCH_INDEX) torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	# simplemma's Finnish dictionary as a cached trie (once per machine, about 10 s): no run pays for it.
	$(PY) -m pipeline.nlp.fullform
	# The package's bytecode, as pip writes it for installed packages (an editable install gets none,
	# and with PYTHONDONTWRITEBYTECODE set every run would compile the package again, about 0.4 s).
	$(PY) -m compileall -q pipeline
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m pipeline run --raw-dir raw_texts --out-dir outputs

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check pipeline tests
	$(VENV)/bin/mypy

evaluate: $(STAMP)
	$(PY) -m pipeline evaluate --gold ../shared/corpus/dev --out-dir /tmp/county-strategies-eval

bench: $(STAMP)
	$(PY) -m pipeline bench

serve: $(STAMP)
	$(PY) -m pipeline serve

clean:
	rm -rf $(VENV) outputs/*.parquet outputs/runs outputs/report.html
