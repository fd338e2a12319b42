# lossbook: make book | make test | make lab | make bench | make notebooks
# Every target creates the virtual environment on first use (VENV=... to share one).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lossbook-installed

# The checkout's own lossbook comes first, also inside notebook kernels.
export PYTHONPATH := $(CURDIR)
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: venv book test lab bench notebooks clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

book: $(STAMP)
	rm -rf _build/html _build/.doctrees
	$(VENV)/bin/jupyter-book build . --path-output . -W --keep-going

test: $(STAMP)
	$(PY) -m pytest

lab: $(STAMP)
	$(VENV)/bin/jupyter lab book/

bench: $(STAMP)
	$(PY) benchmarks/run.py

notebooks: $(STAMP)
	for nb in book/*.ipynb; do $(VENV)/bin/jupyter execute --inplace "$$nb" || exit 1; done

clean:
	rm -rf _build
