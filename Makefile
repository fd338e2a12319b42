# lossbook: make book | make test | make test-lib | make lab | make bench | make notebooks | make pdf
# Every target creates the virtual environment on first use (VENV=... to share one).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lossbook-installed
# `make test-lib`: the library's tests in a venv of their own with numpy, pytest and
# hypothesis only (requirements-lib.txt), without the book's toolchain.
LIB_VENV ?= _build/venv-lib
LIB_STAMP := $(LIB_VENV)/.lossbook-lib-installed

# The scripts that show saved widget state in the built pages, fetched from the npm
# registry at set-up into a build-only folder (never committed; _config.yml serves them).
# The folder is not called _static: Jupyter Book 1 would add every .js in it to every page.
WIDGET_ASSETS := _build/widget-assets
HTML_MANAGER := @jupyter-widgets/html-manager@1.0.15
REQUIREJS := requirejs@2.3.8
ASSETS_STAMP := $(WIDGET_ASSETS)/.fetched

# The checkout's own lossbook comes first, also inside notebook kernels.
export PYTHONPATH := $(CURDIR)
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: venv assets book pdf test test-lib lab bench notebooks clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

assets: $(ASSETS_STAMP)

$(ASSETS_STAMP): Makefile
	rm -rf $(WIDGET_ASSETS) && mkdir -p $(WIDGET_ASSETS)/npm
	cd $(WIDGET_ASSETS)/npm && npm pack --silent $(HTML_MANAGER) $(REQUIREJS) >/dev/null
	cd $(WIDGET_ASSETS)/npm && for t in *.tgz; do mkdir -p "$${t%.tgz}" && tar xzf "$$t" -C "$${t%.tgz}"; done
	cp $(WIDGET_ASSETS)/npm/jupyter-widgets-html-manager-*/package/dist/embed-amd.js \
	   $(WIDGET_ASSETS)/npm/jupyter-widgets-html-manager-*/package/dist/*.woff* \
	   $(WIDGET_ASSETS)/npm/jupyter-widgets-html-manager-*/package/dist/*.ttf \
	   $(WIDGET_ASSETS)/npm/jupyter-widgets-html-manager-*/package/dist/*.eot \
	   $(WIDGET_ASSETS)/npm/jupyter-widgets-html-manager-*/package/dist/*.svg \
	   $(WIDGET_ASSETS)/npm/requirejs-*/package/require.js $(WIDGET_ASSETS)/
	rm -rf $(WIDGET_ASSETS)/npm
	touch $@

# A clean build (-W misses warnings of an incremental build), outputs stored, nothing executed.
book: $(STAMP) $(ASSETS_STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(VENV)/bin/jupyter-book build . --path-output . -W --keep-going

# The whole book as one PDF, offline: Sphinx's one-page HTML build (the same figures, math
# and code as the website) printed by headless Chromium (Debian package `chromium`).
CHROMIUM ?= chromium
pdf: $(STAMP) $(ASSETS_STAMP)
	rm -rf _build/singlehtml _build/lossbook.pdf
	$(VENV)/bin/jupyter-book build . --path-output . --builder singlehtml -W --keep-going
	# the page is written to book/index.html but links _static/ and _images/ as if at the top
	ln -s ../_static ../_images _build/singlehtml/book/
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-background-networking \
	  --disable-component-update --disable-sync --no-first-run \
	  --user-data-dir=$(CURDIR)/_build/.pdf-profile --virtual-time-budget=30000 \
	  --no-pdf-header-footer --print-to-pdf=$(CURDIR)/_build/lossbook.pdf \
	  file://$(CURDIR)/_build/singlehtml/book/index.html 2>/dev/null
	rm -rf _build/.pdf-profile
	@echo "The book is in _build/lossbook.pdf"

# Everything: the library's tests, the doctests, strict nbval on every chapter, the book
# built with -W, the built pages in Chromium.
test: $(STAMP) $(ASSETS_STAMP)
	$(PY) -m pytest --nbval --nbval-current-env tests lossbook book

$(LIB_STAMP): requirements-lib.txt
	test -x $(LIB_VENV)/bin/python || python3 -m venv $(LIB_VENV)
	$(LIB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-lib.txt
	touch $@

# The library alone (lossbook is imported from the checkout through PYTHONPATH); the book's
# helpers in lossbook/book are the book's (their doctests need matplotlib and ipywidgets).
test-lib: $(LIB_STAMP)
	$(LIB_VENV)/bin/python -m pytest -m "not book" tests lossbook --ignore=lossbook/book

# JupyterLab on the chapters; it prints the URL to open (with its token). Its kernels inherit
# PYTHONPATH, so they import this checkout's lossbook, and the venv's own kernel is preferred
# over one of the same name in the user's Jupyter folders. Jupyter refuses to run as root
# (the usual user in containers) unless told: --allow-root is passed then, and only then.
# LAB_ARGS adds options, e.g. make lab LAB_ARGS="--ip=0.0.0.0 --port=8890 --no-browser".
LAB_ARGS ?=
lab: $(STAMP)
	@echo "JupyterLab serves the chapters in book/; open the URL it prints below. Ctrl-C twice stops it."
	JUPYTER_PREFER_ENV_PATH=1 $(VENV)/bin/jupyter lab --ServerApp.root_dir=book \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run.py

# Re-execute every chapter in place; widget state is stored with the outputs
# (nbclient's store_widget_state), so the built pages can show the widgets, and every
# widget records what it shows for each position of its controls
# (LOSSBOOK_RECORD_WIDGETS=1, see lossbook/book/recording.py), so they respond there too.
notebooks: $(STAMP)
	for nb in book/*.ipynb; do \
	  LOSSBOOK_RECORD_WIDGETS=1 $(VENV)/bin/jupyter execute --inplace \
	    --NotebookClient.store_widget_state=True "$$nb" || exit 1; \
	done

clean:
	rm -rf _build
