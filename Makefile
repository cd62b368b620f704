# Build, serve and test the course. Everything runs from a virtualenv the Makefile creates.
#   make book   build the site into _build/html (fails on any warning or notebook error)
#   make serve  serve _build/html on http://127.0.0.1:8000
#   make pdf    print the built book to one PDF, _build/pdf/book.pdf (and link it from the site)
#   make test   build the book, then run the whole test suite
#   make lab    open the notebooks in JupyterLab (explorers are live there; as root it passes
#               --allow-root; LAB_ARGS=... passes more options, e.g. LAB_ARGS=--no-browser)
#   make clean  remove build outputs (keeps .venv and node_modules)

# One BLAS thread: the book's matrices are small, and on a busy 2-core machine OpenBLAS's extra
# threads spin-wait (a chapter that trains networks ran 3x slower with them). Override to taste.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
PORT ?= 8000
NPM ?= npm
VENV_STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
NODE_STAMP := node_modules/.installed
ASSETS_STAMP := _build/web_assets/.installed
HTML_INDEX := _build/html/index.html

.PHONY: all venv assets book pdf serve test lab clean

all: book

# (Re)create the virtualenv whenever the pins or the package metadata change.
# Kernels started from the venv read its etc/ipython/: scripts/ipython_kernel_config.py drops
# ipykernel's "Kernel is running over TCP without encryption" notice, logged once per executed
# notebook (the kernels listen on 127.0.0.1 only).
$(VENV_STAMP): requirements.txt pyproject.toml scripts/ipython_kernel_config.py
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	mkdir -p $(VENV)/etc/ipython
	cp scripts/ipython_kernel_config.py $(VENV)/etc/ipython/ipython_kernel_config.py
	touch $@

venv: $(VENV_STAMP)

# Test-only dependencies (PyTorch, the reference for tests/reference and benchmarks/).
$(TEST_STAMP): $(VENV_STAMP) requirements-test.txt
	$(PIP) install -r requirements-test.txt
	touch $@

# JavaScript the pages serve themselves (MathJax, require.js, the widgets manager).
$(NODE_STAMP): package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $@

# New assets (or new CSS in theme/): drop the HTML output too, or Sphinx (seeing no changed
# page) would not recopy them into _build/html/_static. The notebook execution cache is kept.
$(ASSETS_STAMP): $(NODE_STAMP) scripts/vendor_assets.py $(wildcard theme/*)
	$(PYTHON) scripts/vendor_assets.py
	rm -rf _build/html
	touch $@

assets: $(ASSETS_STAMP)

# -W: any warning fails the build; --keep-going: but report them all first.
JB_FLAGS := -W -n --keep-going
# In CI (CI=true) every notebook is executed afresh: the execution cache is dropped and every
# page is rebuilt (--all), even if a previous build left _build/ behind.
ifeq ($(CI),true)
JB_FLAGS += --all
endif

# The execution cache is keyed on the notebooks only: when companion changes, what the
# notebooks print and plot may change too, so drop the cache (and rebuild every page).
COMPANION_SOURCES := $(shell find companion -name '*.py')
COMPANION_STAMP := _build/.companion-stamp
$(COMPANION_STAMP): $(COMPANION_SOURCES)
	rm -rf _build/.jupyter_cache _build/.doctrees _build/jupyter_execute _build/html
	mkdir -p _build && touch $@

book: $(VENV_STAMP) $(ASSETS_STAMP) $(COMPANION_STAMP)
ifeq ($(CI),true)
	rm -rf _build/.jupyter_cache
endif
	$(VENV)/bin/jupyter-book build . $(JB_FLAGS)
	@echo
	@echo "Book built. Open file://$(CURDIR)/$(HTML_INDEX)"
	@echo "or run 'make serve' and open http://127.0.0.1:$(PORT)/"

# The whole book as one PDF, printed from the built site by Debian's Chromium (as the browser
# tests use it; CHROMIUM=/path for another) and joined with pypdf: _build/pdf/book.pdf. It is
# also copied into the site, whose landing page and download menu then offer it; a site built
# without it offers none.
pdf: book
	$(PY) scripts/build_pdf.py --copy-to-site

serve:
	@test -f $(HTML_INDEX) || { echo "No $(HTML_INDEX): run 'make book' first." >&2; exit 1; }
	@echo "Serving _build/html on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

test: book $(TEST_STAMP)
	$(PY) -m pytest --nbval-lax --doctest-modules --durations=15 companion tests book exercises

# JupyterLab refuses to start as root unless told; containers often run as root, so pass it then.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(VENV_STAMP)
	$(VENV)/bin/jupyter lab $(LAB_ROOT) $(LAB_ARGS)

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -not -path './node_modules/*' \
		-prune -exec rm -rf {} +
