# "Are face models adversarially robust?" -- two commands from a fresh clone:
#   make book   set up, fetch assets, execute every chapter (PROFILE=default, JOBS=cores), build _build/html
#   make test   set up, lint, type-check, unit tests, nbval on the ci-profile notebooks, browser check
#   make pdf    one PDF of the book (_build/pdf/book.pdf), after make book; needs Debian's chromium
#   make colab  rewrite colab/NN_name.ipynb (what the Colab buttons open) after editing a chapter; commit them
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PROFILE ?= default
UV ?= 1
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels)
# chapters NN_name.py, then appendix pages A_name.py (executed the same way)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.py)) $(sort $(wildcard notebooks/[A-Z]_*.py))
NB ?=
# Portable numerics (lib/facerobust/numerics.py): the same bits on every x86-64 CPU of ours, for the
# nbval references and the runs compared against them (set before Python starts).
PORTABLE := FACEROBUST_NUMERICS=portable ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=COMPATIBLE
# cores `make book` fills with chapters (each occupies its profile's `threads`); JOBS=1 runs them in turn
JOBS ?= $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
# what the HTML is built from: `make html` skips jupyter-book when none of it changed
HTML_INPUTS = _config.yml _toc.yml $(wildcard CITATION.cff) $(VENV)/.stamp \
  $(shell find book lib/facerobust -type f ! -name '.*' ! -path '*/.*' ! -name '*.failed.ipynb' ! -path '*/__pycache__/*' 2>/dev/null)
export MALLOC_MMAP_THRESHOLD_ := 10000000000
export MALLOC_TRIM_THRESHOLD_ := 10000000000
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# idle OpenMP threads sleep instead of spinning (2-thread torch under load busy-waits otherwise)
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: setup assets book html pdf ci-fallback chapter regen colab test lint unit nbval browser-check sync bench clean help
help:
	@sed -n '1,5p' Makefile

$(VENV)/.stamp: requirements.txt requirements-nodeps.txt requirements-oracles.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@if [ "$(UV)" = 1 ]; then \
	  $(BIN)/pip install -q --disable-pip-version-check uv==0.13.8 && \
	  VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install -q --compile-bytecode $(FIND_LINKS) -r requirements.txt && \
	  { grep -qvE '^\s*(#|$$)' requirements-nodeps.txt && VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install -q --compile-bytecode --no-deps -r requirements-nodeps.txt || true; } && \
	  VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install -q --compile-bytecode --no-deps --require-hashes -r requirements-oracles.txt && \
	  VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install -q --no-deps -e . ; \
	else \
	  $(BIN)/pip install -q -r requirements.txt && \
	  { grep -qvE '^\s*(#|$$)' requirements-nodeps.txt && $(BIN)/pip install -q --no-deps -r requirements-nodeps.txt || true; } && \
	  $(BIN)/pip install -q --no-deps --require-hashes -r requirements-oracles.txt && \
	  $(BIN)/pip install -q --no-deps -e . ; \
	fi
	@$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

setup: $(VENV)/.stamp assets

assets: $(VENV)/.stamp
	@$(PY) -m facerobust.data.assets fetch --quiet

book: setup
	$(PY) -m facerobust.runner $(NOTEBOOKS) --profile $(PROFILE) --outdir book/chapters -j $(JOBS)
	@$(MAKE) --no-print-directory html

# the API page's module lists and the run-time table (from the executed notebooks) are generated
# into _build/generated/ first; the book includes them
html:
	@test -f _build/html/index.html || rm -f _build/html/.stamp
	@$(MAKE) --no-print-directory _build/html/.stamp

_build/html/.stamp: $(HTML_INPUTS) tools/api_modules.py
	$(PY) tools/api_modules.py
	$(PY) tools/runtime_table.py
	$(BIN)/jupyter-book build . --path-output . -W -n --keep-going --quiet
	@touch $@

# One PDF of the book: the single-page HTML build, printed by headless Chromium (Debian's chromium).
# It uses the chapters `make book` executed; a chapter never executed is taken from the ci references.
pdf: $(VENV)/.stamp ci-fallback
	$(PY) tools/api_modules.py
	$(PY) tools/runtime_table.py
	$(BIN)/jupyter-book build . --path-output . --builder singlehtml -W -n --keep-going --quiet
	$(PY) tools/print_pdf.py _build/singlehtml _build/pdf/book.pdf

ci-fallback:
	@mkdir -p book/chapters; for f in tests/notebooks/*.ipynb; do t=book/chapters/$$(basename $$f); \
	  test -f $$t || { echo "$$t: not executed by make book, using the ci reference"; cp $$f $$t; }; done

chapter: setup
	@test -n "$(NB)" || { echo "error: give NB=notebooks/NN_name.py" >&2; exit 2; }
	$(PY) -m facerobust.runner $(NB) --profile $(PROFILE) -o _build/chapters/$(basename $(notdir $(NB))).ipynb

regen: setup
	$(PORTABLE) $(PY) -m facerobust.runner $(NOTEBOOKS) --profile ci --outdir tests/notebooks --force -j $(JOBS)

sync: $(VENV)/.stamp
	$(BIN)/jupytext --sync $(NOTEBOOKS)

# the unexecuted notebooks the Colab buttons open (book/_ext/colab_button.py), one per executed page,
# made by jupytext from notebooks/; committed, and tests/test_colab.py fails when one is out of date
colab: $(VENV)/.stamp
	$(PY) tools/colab_notebooks.py

lint: $(VENV)/.stamp
	$(BIN)/ruff check lib tests notebooks benchmarks tools
	$(BIN)/mypy lib

# both run on every core (pytest-xdist); nbval keeps each notebook's cells in one worker (--dist loadfile);
# each names its 15 slowest tests (make test's budget is 20 minutes from a clean clone)
unit: setup
	$(BIN)/pytest -q -n $(JOBS) --durations=15 tests --ignore=tests/notebooks -m "not browser and not book"

nbval: setup
	$(PORTABLE) $(BIN)/pytest -q -n $(JOBS) --durations=15 --dist loadfile --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg tests/notebooks

# Checks the built book: tests/test_book_html.py reads _build/html (no browser needed); the browser
# tests need headless Chromium, installed here from Debian where that is possible (root + apt-get).
# Without it the last line says plainly that the HTML was not checked in a browser.
HAVE_CHROMIUM := command -v chromium || command -v chromium-browser || command -v google-chrome
browser-check: setup
	@if [ -z "$$($(HAVE_CHROMIUM))" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser check"; \
	  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -q chromium >/dev/null; } \
	  || echo "could not install chromium"; fi
	@if [ ! -f _build/html/index.html ]; then $(MAKE) --no-print-directory ci-fallback html; fi
	@if [ -n "$$($(HAVE_CHROMIUM))" ] && [ ! -f _build/pdf/book.pdf ]; then $(MAKE) --no-print-directory pdf; fi
	$(BIN)/pytest -q tests/test_book_html.py tests/test_book_browser.py tests/test_colab.py -m "book or browser"
	@[ -n "$$($(HAVE_CHROMIUM))" ] || echo "NOTE: the HTML was NOT checked in a browser: headless Chromium is not installed. Install it (Debian: sudo apt-get install chromium), then run: make browser-check"

test: lint unit nbval browser-check

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b; done

clean:
	rm -rf _build book/chapters/*.ipynb
