#!/usr/bin/env bash
# Create .venv and install fedbot (with test extras when $1 == test). Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv 2>/dev/null || [ -x .venv/bin/python ]
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  # The store tests and bench run a real PostgreSQL server (Debian's package) on loopback.
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } \
      || echo "setup: could not install postgresql (the PostgreSQL tests will fail)" >&2
  fi
  if [ -f tests/node/package.json ]; then
    command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
    npm install --prefix tests/node --no-audit --no-fund --silent >/dev/null
  fi
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
