#!/usr/bin/env bash
# Run the test suite twice: on SQLite, then on a real PostgreSQL 15 started here.
# Installs the system tools the tests drive (Chromium, newsboat, Postfix, Dovecot) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v newsboat >/dev/null 2>&1 || need+=(newsboat)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql-15)
command -v spamassassin >/dev/null 2>&1 || need+=(spamassassin)  # digests must score <= 0 (local tests)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${need[*]}"
    apt-get update -qq
    export PUBLISHER_APT_UPDATED=1  # scripts/services.sh need not update the lists again
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "test.sh: missing ${need[*]} and cannot install them (need root and apt-get)" >&2
    exit 1
  fi
fi

# Mail services (Postfix relaying to the tests' sinks, Dovecot IMAP/LMTP), loopback only; installs them if missing.
# As root (CI) they must come up; without root they cannot be installed or started here, and the tests that
# need them say so (they skip when the packages are absent).
if [ "$(id -u)" = 0 ]; then
  bash scripts/services.sh
else
  echo "test.sh: not root: Postfix/Dovecot not started; the tests that need them will fail or skip" >&2
fi

# PostgreSQL: start Debian's cluster and make a role and database for the tests.
PG_URL="${PUBLISHER_TEST_PG_URL:-}"
if [ -z "$PG_URL" ]; then
  pg_ctlcluster --skip-systemctl-redirect 15 main start 2>/dev/null || true
  for _ in $(seq 1 30); do
    su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  su postgres -c "psql -qAtc \"select 1 from pg_roles where rolname='publisher'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"create role publisher login createdb password 'publisher'\""
  su postgres -c "psql -qAtc \"select 1 from pg_database where datname='publisher_test'\"" | grep -q 1 \
    || su postgres -c "psql -qc 'create database publisher_test owner publisher'"
  PG_URL="postgresql+psycopg://publisher:publisher@127.0.0.1:5432/publisher_test"
fi

echo "== lint and format check (ruff) =="
"$BIN/ruff" check .
"$BIN/ruff" format --check .
echo "== import layers (import-linter) =="
"$BIN/lint-imports" --no-cache
echo "== type check (mypy) =="
"$BIN/python" -m mypy publisher
echo "== tests on SQLite =="
"$BIN/python" -m pytest -q "$@"
echo "== tests on PostgreSQL =="
PUBLISHER_TEST_DATABASE_URL="$PG_URL" "$BIN/python" -m pytest -q "$@"
