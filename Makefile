# The book and its tests. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
PROFILE ?= cpu

VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps

# Per-unit result cache. Chapters run with book/chapters as their working directory, so ./data at
# the repository root is passed on through INFOLIB_DATA.
export INFOLIB_CACHE ?= $(CURDIR)/.cache/infolib
export INFOLIB_DATA ?= $(CURDIR)/data

# The float path of the chapters (infolib/numerics.py, book/reproducing.md). NUMERICS=reference
# (default): the variables of `python -m infolib.numerics env` pin torch's, MKL's, oneDNN's,
# numpy's and OpenBLAS's kernels and two threads each, so that two x86-64 machines take the same
# kernels (`make numerics` prints the digest they can compare); `make -j N book` runs N chapters
# of two threads. NUMERICS=native: every library
# picks its fastest kernels, and each of N chapters gets the cores divided by N (floats and,
# through training, verdicts near an edge differ between machines). Recursive (=): .venv exists
# and MAKEFLAGS holds -jN only when recipes run.
NUMERICS ?= reference
ifeq ($(filter reference native,$(NUMERICS)),)
$(error NUMERICS must be reference or native, not '$(NUMERICS)')
endif
JOBS = $(or $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS))),1)
CORES := $(shell nproc 2>/dev/null || echo 1)
THREADS = $(shell echo $$(( $(CORES) / $(JOBS) > 0 ? $(CORES) / $(JOBS) : 1 )))
NUMERICS_ENV = $(if $(filter reference,$(NUMERICS)),$(shell $(BIN)/python -m infolib.numerics env),\
	OMP_NUM_THREADS=$(THREADS) MKL_NUM_THREADS=$(THREADS)) NUMBA_NUM_THREADS=$(THREADS)

# The repository on GitHub (owner/name) that publishes the book: GitHub Actions set
# GITHUB_REPOSITORY. With it the book has Binder and Colab buttons and every chapter a cell that
# installs infolib at this commit where it cannot be imported (tools/launch_buttons.py); without
# it, neither. Chapters executed before it was set keep no install cell: `make clean` first.
REPOSITORY ?= $(GITHUB_REPOSITORY)
COMMIT = $(shell git rev-parse HEAD 2> /dev/null)
BOOK_CONFIG := $(if $(REPOSITORY),$(STAMPS)/_config.yml,_config.yml)
# the branch the buttons open: `make executed-branch` writes its files, the workflows publish them
LAUNCH_BRANCH ?= executed
# the book's folder on GitHub Pages (the gpu book: gpu), for its address (Sphinx's html_baseurl)
SITE_DIR ?=

CHAPTER_SOURCES := $(wildcard notebooks/*.py)
CHAPTERS := $(patsubst notebooks/%.py,book/chapters/%.ipynb,$(CHAPTER_SOURCES))
# Their claims, named: book/chapters may still hold the files of a chapter removed or renamed since
CLAIMS_FILES := $(patsubst notebooks/%.py,book/chapters/%.claims.json,$(CHAPTER_SOURCES))
INFOLIB_SOURCES := $(wildcard infolib/*.py)
BENCHMARKS := $(wildcard benchmarks/bench_*.py)
SCORECARD := book/_generated/scorecard_table.md
PROVENANCE := book/_generated/provenance_table.md
TOTALS := book/_generated/scorecard_totals.md
# pip warns about package index locations of this machine that do not exist: noise, dropped.
DROP_PIP_NOISE := 2>&1 | { grep -v 'Location .* is ignored' || true; }

.PHONY: help setup data chapters scorecard book check-html browser test bench clean clean-cache cache-info
.PHONY: prune run params lab executed-branch numerics FORCE
.PHONY: gpu-shard gpu-merge gpu-check

help:
	@echo "make setup      create .venv from requirements.txt and install infolib (editable)"
	@echo "make data       Fashion-MNIST: the Debian package where apt-get can install it, else found or downloaded"
	@echo "make chapters   execute every notebooks/*.py with papermill into book/chapters/ (PROFILE=$(PROFILE))"
	@echo "make scorecard  gather the chapters' claims and how they ran into book/_generated/"
	@echo "make book       all of the above, then the HTML book in _build/html; REPOSITORY=owner/name"
	@echo "                (GitHub Actions: GITHUB_REPOSITORY) adds Binder and Colab buttons that"
	@echo "                open the chapters on the branch LAUNCH_BRANCH (default executed)"
	@echo "make executed-branch  that branch's files in _build/executed: the tree and the chapters"
	@echo "make check-html make book, then open every page in headless Chromium: fails on a console"
	@echo "                error, a request outside the book, an image or math that did not render,"
	@echo "                a broken internal link (tools/check_html.py; installs chromium as root)"
	@echo "make run        CHAPTER=name ARGS='-p seed 1': run one chapter, progress in the terminal,"
	@echo "                the executed notebook in runs/name.ipynb"
	@echo "make params     CHAPTER=name: the chapter's parameters (type, default, help, per profile)"
	@echo "make lab        JupyterLab on notebooks/ (a chapter's .py opens as a notebook)"
	@echo "make test       the whole test suite, slow tests included"
	@echo "make bench      run every benchmarks/bench_*.py"
	@echo "make clean      remove _build, book/chapters, book/_generated and .stamps (keeps .venv and .cache)"
	@echo "make cache-info entries and bytes of the result cache, per chapter"
	@echo "make prune      drop the cached results that the last complete make book did not read"
	@echo "make clean-cache remove the whole result cache ($(INFOLIB_CACHE))"
	@echo "make gpu-shard  CHAPTER=name SHARD=i/n: run shard i of n of a chapter's gpu profile and pack"
	@echo "                what it computed into $(SHARDS)/ (book/reproducing.md; needs no .venv);"
	@echo "                TIME_LIMIT=seconds: start no unit after that, leave the rest to a second round;"
	@echo "                ONLY='network=wide experiment=calibration': only units whose key matches one"
	@echo "make gpu-merge  FILES='$(SHARDS)/*.tar': add packed shards to the result cache"
	@echo "make gpu-check  CHAPTER=name: list the units of a chapter's gpu profile the cache lacks"
	@echo "make numerics   the float path the chapters run on (NUMERICS), and its digest"
	@echo "make browser    install chromium for check-html (Debian, as root; CHROMIUM=path skips it)"
	@echo "Options: PROFILE=smoke|cpu|gpu (default cpu), PYTHON=python3 (to create .venv);"
	@echo "         NUMERICS=reference|native: the chapters' kernels pinned so that machines agree"
	@echo "         (default; two threads each) or each machine's fastest (the cores divided);"
	@echo "         make -j N book runs N chapters at once"

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	[[ -x $(BIN)/python ]] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip $(DROP_PIP_NOISE)
	$(BIN)/python -m pip install --quiet -r requirements.txt $(DROP_PIP_NOISE)
	$(BIN)/python -m pip install --quiet -e . --no-deps $(DROP_PIP_NOISE)
	touch $@

data: $(STAMPS)/data

# Fashion-MNIST: first the Debian package dataset-fashion-mnist where it can be installed (root and
# apt-get, as on CI), then infolib.data's other ways (INFOLIB_DATA, ./data, a torchvision download).
$(STAMPS)/data: | $(VENV)/.installed
	mkdir -p $(STAMPS)
	if [[ "$$(id -u)" == 0 ]] && command -v apt-get > /dev/null \
	    && ! dpkg -s dataset-fashion-mnist > /dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq \
	    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	        dataset-fashion-mnist \
	    || echo "apt-get could not install dataset-fashion-mnist; trying infolib.data's other ways"; \
	fi
	$(BIN)/python -c "from infolib.data import fashion_mnist; fashion_mnist('train'); fashion_mnist('test')"
	touch $@

# Rewritten only when PROFILE changes, so that a new profile re-executes every chapter.
$(STAMPS)/profile: FORCE
	@mkdir -p $(STAMPS)
	@[[ -f $@ && "$$(cat $@)" == "$(PROFILE)" ]] || echo "$(PROFILE)" > $@

chapters: $(CHAPTERS)

# papermill writes outside book/chapters, and the notebook moves there only on success: a failed
# chapter leaves no notebook that looks up to date (what it ran stays in .stamps/executed/, with the
# traceback). Every cache entry the chapter reads or writes is listed in .stamps/cache-reads/, so
# that `make prune` keeps exactly what the book uses.
book/chapters/%.ipynb: notebooks/%.py $(INFOLIB_SOURCES) $(STAMPS)/profile | $(STAMPS)/data
	mkdir -p book/chapters $(STAMPS)/source $(STAMPS)/executed $(STAMPS)/cache-reads
	$(BIN)/jupytext --quiet --set-kernel python3 --to ipynb -o $(STAMPS)/source/$*.ipynb $<
	$(if $(REPOSITORY),$(BIN)/python tools/launch_buttons.py install-cell $(STAMPS)/source/$*.ipynb \
		--repository $(REPOSITORY) --commit $(COMMIT))
	rm -f $(STAMPS)/executed/$*.ipynb $(STAMPS)/cache-reads/$*.txt
	INFOLIB_CACHE_LOG=$(CURDIR)/$(STAMPS)/cache-reads/$*.txt \
	env $(NUMERICS_ENV) $(BIN)/papermill $(STAMPS)/source/$*.ipynb $(STAMPS)/executed/$*.ipynb \
		-p profile $(PROFILE) --cwd book/chapters
	mv $(STAMPS)/executed/$*.ipynb $@

scorecard: $(SCORECARD) $(PROVENANCE) $(TOTALS)

# The table, and beside it the figure of verdicts per chapter (book/_generated/scorecard.png).
$(SCORECARD): $(CHAPTERS) infolib/claims.py | $(VENV)/.installed
	mkdir -p book/_generated book/chapters
	$(BIN)/python -m infolib.claims --figure book/_generated/scorecard.png $@ $(CLAIMS_FILES)

$(TOTALS): $(CHAPTERS) infolib/claims.py | $(VENV)/.installed
	mkdir -p book/_generated book/chapters
	$(BIN)/python -m infolib.claims --totals $@ $(CLAIMS_FILES)

$(PROVENANCE): $(CHAPTERS) infolib/claims.py | $(VENV)/.installed
	mkdir -p book/_generated book/chapters
	$(BIN)/python -m infolib.claims --provenance $@ $(CLAIMS_FILES)

# --all: an incremental Sphinx build does not repeat the warnings of pages it read before, so a
# second `make book` would pass without a fix. jupyter-book can exit 0 after reporting problems,
# so its log is checked as well.
book: setup data chapters scorecard
	$(if $(REPOSITORY),$(BIN)/python tools/launch_buttons.py config --repository $(REPOSITORY) \
		--branch $(LAUNCH_BRANCH) --site-dir "$(SITE_DIR)" -o $(BOOK_CONFIG))
	$(BIN)/jupyter-book build . --config $(BOOK_CONFIG) --all -W --keep-going 2>&1 \
		| tee $(STAMPS)/book.log
	! grep -E 'WARNING|ERROR|Traceback' $(STAMPS)/book.log
	[[ "$$INFOLIB_CACHE" == off ]] || $(BIN)/python -m infolib.cache record-book \
		$(wildcard $(STAMPS)/cache-reads/*.txt)
	@echo "The book: $(CURDIR)/_build/html/index.html"

# The browser of the HTML check (tools/check_html.py, `make check-html` and its tests): the Debian
# package chromium, installed where it can be (root and apt-get, as on CI), driven by Playwright
# (requirements.txt) through its executable path; CHROMIUM=/path/to/chromium names another. Where
# it cannot be installed, the check and its tests fail and say so. After data: under make -j, two
# apt-get at once would fight over dpkg's lock.
browser: | $(VENV)/.installed $(STAMPS)/data
	if [[ -z "$${CHROMIUM:-}" ]] && [[ "$$(id -u)" == 0 ]] && command -v apt-get > /dev/null \
	    && ! dpkg -s chromium > /dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq \
	    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
	    || echo "apt-get could not install chromium: the browser check of the book cannot run"; \
	fi

# What the launch buttons open (the branch LAUNCH_BRANCH, which the workflows publish): the
# committed tree, less .github (a workflow token may not write workflows), and the executed
# chapters in book/chapters, where the buttons look for them.
executed-branch: chapters
	rm -rf _build/executed
	mkdir -p _build/executed
	git archive HEAD -- . ':(exclude).github' | tar -x -C _build/executed
	mkdir -p _build/executed/book/chapters
	cp $(CHAPTERS) _build/executed/book/chapters/

check-html: book browser
	$(BIN)/python tools/check_html.py _build/html

test: setup data browser
	$(BIN)/python -m pytest

# One chapter with papermill parameters (ARGS: papermill's -p name value, -y 'yaml'), its cells'
# output (progress bars too) in the terminal; runs/ is the working directory, as book/chapters is
# for the book.
run: | $(STAMPS)/data
	@[[ -n "$(CHAPTER)" ]] || { echo "usage: make run CHAPTER=name ARGS='-p seed 1'"; exit 2; }
	mkdir -p runs $(STAMPS)/source
	$(BIN)/jupytext --quiet --set-kernel python3 --to ipynb -o $(STAMPS)/source/run-$(CHAPTER).ipynb \
		notebooks/$(CHAPTER).py
	env $(NUMERICS_ENV) $(BIN)/papermill $(STAMPS)/source/run-$(CHAPTER).ipynb \
		runs/$(CHAPTER).ipynb --cwd runs \
		--log-output --progress-bar $(ARGS)
	@echo "The executed chapter: $(CURDIR)/runs/$(CHAPTER).ipynb"

# JupyterLab (installed into .venv on first use) on notebooks/: with jupytext in the same
# environment a chapter's .py opens as a notebook (right-click, Open With, Jupytext Notebook), its
# edits saved back to the .py; runs/ keeps what papermill wrote.
lab: | $(STAMPS)/data
	$(BIN)/python -c "import jupyterlab" 2> /dev/null \
		|| $(BIN)/python -m pip install --quiet jupyterlab $(DROP_PIP_NOISE)
	@echo "In JupyterLab: right-click a chapter in notebooks/, Open With, Jupytext Notebook."
	$(BIN)/jupyter lab --notebook-dir=notebooks

params: | $(VENV)/.installed
	@[[ -n "$(CHAPTER)" ]] || { echo "usage: make params CHAPTER=name"; exit 2; }
	$(BIN)/python -m infolib.params notebooks/$(CHAPTER).py

bench: setup | $(STAMPS)/data
	$(BIN)/pip install --quiet -r benchmarks/requirements.txt  # BackPACK, the Fisher peer
	@[[ -n "$(BENCHMARKS)" ]] || echo "no benchmarks/bench_*.py yet"
	for bench in $(BENCHMARKS); do echo "== $$bench"; $(BIN)/python $$bench; done

clean:
	rm -rf _build book/chapters book/_generated $(STAMPS)

numerics: | $(VENV)/.installed
	env $(NUMERICS_ENV) $(BIN)/python -m infolib.numerics

cache-info: | $(VENV)/.installed
	$(BIN)/python -m infolib.cache info

prune: | $(VENV)/.installed
	$(BIN)/python -m infolib.cache prune

clean-cache:
	[[ "$$INFOLIB_CACHE" == off ]] || rm -rf "$(INFOLIB_CACHE)"

# The gpu profile in shards (book/reproducing.md, "Running the gpu profile in shards"). On a GPU
# machine without .venv, the python3 on PATH runs them with infolib from this folder. PROFILE
# given on the command line replaces gpu (PROFILE=smoke tries the mechanism in seconds).
SHARDS := .cache/shards
SHARD_PYTHON ?= $(if $(wildcard $(BIN)/python),$(BIN)/python,python3)
SHARD_PROFILE := $(if $(filter command line environment,$(origin PROFILE)),$(PROFILE),gpu)
SHARD_FILE ?= $(SHARDS)/$(CHAPTER)-$(SHARD_PROFILE)-$(subst /,of,$(SHARD)).tar
FILES ?= $(wildcard $(SHARDS)/*.tar $(SHARDS)/*.tar.gz)
RUN_SHARD := PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(SHARD_PYTHON) -m infolib.shard

gpu-shard:
	@[[ -n "$(CHAPTER)" && -n "$(SHARD)" ]] || { echo "usage: make gpu-shard CHAPTER=name SHARD=i/n"; exit 2; }
	mkdir -p $(dir $(SHARD_FILE))
	$(RUN_SHARD) run notebooks/$(CHAPTER).py --shard $(SHARD) --profile $(SHARD_PROFILE) \
		$(if $(TIME_LIMIT),--time-limit $(TIME_LIMIT)) $(foreach o,$(ONLY),--only $(o)) \
		-o $(SHARD_FILE)

gpu-merge:
	@[[ -n "$(FILES)" ]] || { echo "usage: make gpu-merge FILES='$(SHARDS)/*.tar*'"; exit 2; }
	$(RUN_SHARD) merge $(FILES)

gpu-check:
	@[[ -n "$(CHAPTER)" ]] || { echo "usage: make gpu-check CHAPTER=name"; exit 2; }
	$(RUN_SHARD) check notebooks/$(CHAPTER).py --profile $(SHARD_PROFILE)

FORCE:
