# papersift: `make demo` and `make test` each build .venv first (idempotent).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed-stamp
DEMO_DB := build/demo/papersift.db
export HF_HUB_OFFLINE := 1
# The lock files: every package and its hashes, torch's CPU wheel included (see "Dependencies").
LOCK_RUNTIME := requirements/runtime.txt
LOCK_DEV := requirements/dev.txt
# torch's CPU wheel lies in /opt/wheels on our machines; elsewhere set UV_FIND_LINKS or
# UV_EXTRA_INDEX_URL to a place that has it (PyTorch's CPU wheel index).
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels)
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	-c requirements/constraints.in --custom-compile-command "make lock" $(FIND_LINKS) -q

.PHONY: demo test lint typecheck venv clean browser lock

venv: $(STAMP)

# uv installs the lock (16-32 s from nothing here, against 5.5 min for pip with the same
# lock: README "Dependencies"); uv itself comes hash-checked from requirements/uv.txt.
$(UV): requirements/uv.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
		-r requirements/uv.txt
	@touch $(UV)

# Exactly the lock: `uv pip sync` also removes what the lock no longer has.
$(STAMP): $(LOCK_DEV) pyproject.toml $(UV)
	@$(UV) pip sync -q --python $(BIN)/python --require-hashes $(FIND_LINKS) $(LOCK_DEV)
	@$(UV) pip install -q --python $(BIN)/python --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Refresh both lock files from pyproject.toml's ranges (newest releases that fit), then
# `make test` installs them. tests/test_lock.py checks that the locks match pyproject.toml.
lock: $(UV)
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -o $(LOCK_RUNTIME)
	$(UV) pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o $(LOCK_DEV)
	$(UV) pip compile requirements/uv.in $(LOCK_FLAGS) -o requirements/uv.txt

demo: $(STAMP)
	@mkdir -p build/demo && rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	@echo "== papersift ingest examples/ (one file in each supported format)"
	@$(BIN)/papersift --db $(DEMO_DB) ingest examples/
	@echo; echo "== papersift stats"
	@$(BIN)/papersift --db $(DEMO_DB) stats
	@echo; echo "== papersift papers list --limit 10"
	@$(BIN)/papersift --db $(DEMO_DB) papers list --limit 10
	@echo; echo "== papersift papers show 1 (a paper merged from several sources)"
	@$(BIN)/papersift --db $(DEMO_DB) papers show 1
	@echo; echo "== ingesting the same files again changes nothing"
	@$(BIN)/papersift --db $(DEMO_DB) ingest examples/lab_page.txt examples/hf_daily.txt
	@echo; echo "== papersift index (full text, and all-MiniLM-L6-v2 vectors from the package)"
	@$(BIN)/papersift --db $(DEMO_DB) index
	@echo; echo "== papersift map build (the library laid out in 2-D, regions named: the web app's Map)"
	@$(BIN)/papersift --db $(DEMO_DB) map build
	@echo; echo '== papersift search "why does ramping up the step size at the start of training help"'
	@$(BIN)/papersift --db $(DEMO_DB) search "why does ramping up the step size at the start of training help" --limit 5
	@echo; echo '== papersift search "author:Okafor low-resource" --mode lexical'
	@$(BIN)/papersift --db $(DEMO_DB) search "author:Okafor low-resource" --mode lexical --limit 3
	@echo; echo "== papersift similar 2502.11873 --limit 3"
	@$(BIN)/papersift --db $(DEMO_DB) similar 2502.11873 --limit 3
	@echo; echo "== papersift evaluate-search --queries evaluation/example_queries.jsonl"
	@$(BIN)/papersift --db $(DEMO_DB) evaluate-search --queries evaluation/example_queries.jsonl
	@echo; echo '== papersift reader add ines --like 2502.07731 --like 2504.02276 (two retrieval papers)'
	@$(BIN)/papersift --db $(DEMO_DB) reader add ines --like 2502.07731 --like 2504.02276
	@echo; echo "== papersift feed ines --since 2025-01-01 --limit 5 (an explained feed)"
	@$(BIN)/papersift --db $(DEMO_DB) feed ines --since 2025-01-01 --limit 5
	@echo; echo "== papersift user add ines (a web account for the demo reader)"
	@PAPERSIFT_PASSWORD=papersift-demo $(BIN)/papersift --db $(DEMO_DB) user add ines --email ines@example.org
	@echo; echo "== the web app: start it with"
	@echo "   .venv/bin/papersift --db $(DEMO_DB) serve --port 8000"
	@echo "   then open http://127.0.0.1:8000/ and log in as ines / papersift-demo"
	@echo "   (the example papers are from 2025: the feed says what the library covers and shows its latest)"

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium); as root only,
# once, quietly. Without it the browser tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { test "$$(id -u)" = 0 && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
		{ apt-get update -qq >/dev/null 2>&1 && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } || \
		echo "chromium could not be installed: the browser tests will be skipped"; }

lint: $(STAMP)
	$(BIN)/ruff check papersift tests benchmarks
	$(BIN)/ruff format --check papersift tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck browser
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build .mypy_cache .pytest_cache .ruff_cache
