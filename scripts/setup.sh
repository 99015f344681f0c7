#!/usr/bin/env bash
# Create .venv and install fedbot (with test extras when $1 == test). Idempotent and quiet.
# With "test" it also installs what the tests need from Debian and npm when missing: node/npm,
# chromium (the browser test drives Debian's build; Playwright never downloads one) and the npm
# packages in tests/node and tests/browser. Installing Debian packages needs root: it says so.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {  # apt_install PACKAGE... (only when root; otherwise say what is missing)
  if [ "$(id -u)" != 0 ]; then
    echo "setup: needs root to install Debian packages: $* (run: sudo apt-get install $*)" >&2
    return 1
  fi
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

python3 -m venv .venv 2>/dev/null || [ -x .venv/bin/python ]
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  # The store tests and bench run a real PostgreSQL server (Debian's package) on loopback.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
  command -v npm >/dev/null || apt_install nodejs npm
  [ -x /usr/bin/chromium ] || apt_install chromium
  for dir in tests/node tests/browser; do
    [ -f "$dir/package.json" ] && npm install --prefix "$dir" --no-audit --no-fund --silent >/dev/null
  done
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
