# The two commands of the README: `make run` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install clean bench

$(STAMP): pyproject.toml
	@echo "Creating $(VENV) and installing publisher (log: $(VENV)/install.log)…"
	@$(PYTHON) -m venv $(VENV)
	@( $(BIN)/pip install --upgrade pip && $(BIN)/pip install -e '.[test]' ) > $(VENV)/install.log 2>&1 \
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

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) store/*.db* feeds/* outbox
