# papersift: `make demo` and `make test` each build .venv first (idempotent).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB := build/demo/papersift.db
TORCH_VERSION := 2.13.0
export HF_HUB_OFFLINE := 1

.PHONY: demo test lint typecheck venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@# torch first, pinned: the local CPU wheel (an unpinned torch pulls gigabytes of CUDA)
	@$(BIN)/python -m pip install -q --disable-pip-version-check torch==$(TORCH_VERSION)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

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

lint: $(STAMP)
	$(BIN)/ruff check papersift tests benchmarks
	$(BIN)/ruff format --check papersift tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build .mypy_cache .pytest_cache .ruff_cache
