# The two commands of the README: `make run` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install clean bench lock

$(STAMP): pyproject.toml constraints.txt
	@echo "Creating $(VENV) and installing publisher (log: $(VENV)/install.log)…"
	@$(PYTHON) -m venv $(VENV)
	@( $(BIN)/pip install --upgrade pip && $(BIN)/pip install -c constraints.txt -e '.[test]' ) > $(VENV)/install.log 2>&1 \
	  || { tail -30 $(VENV)/install.log; echo "pip install failed; see $(VENV)/install.log" >&2; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

## Run one full cycle over the bundled sample data: ingest → feeds → digests → outbox.
## The sample subscribers are imported first (idempotent: existing addresses are updated, never duplicated).
run: $(STAMP)
	$(BIN)/publisher --config config.toml subscribers import data/subscribers.csv
	$(BIN)/publisher --config config.toml run --once

## Run the whole test suite (starts PostgreSQL and installs Chromium/newsboat when missing).
test: $(STAMP)
	bash scripts/test.sh

## Every benchmark at a small size, one table (full-size runs: see benchmarks/README.md).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

## Re-pin constraints.txt after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile -q --extra test --strip-extras --no-emit-index-url --no-emit-find-links --no-header \
	  -o constraints.txt pyproject.toml
	@sed -i '1i # Pinned versions of every dependency (runtime and test), used by `make` for reproducible installs.\n# Regenerate after changing dependencies in pyproject.toml: `make lock` (pip-tools).' constraints.txt

clean:
	rm -rf $(VENV) store/*.db* feeds/* outbox
