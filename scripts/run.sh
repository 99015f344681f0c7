#!/usr/bin/env bash
# Set up and run fedbot on its embedded default: no cloud credentials (Bot Framework auth off,
# 127.0.0.1 only), conversation state in ./fedbot.db. Extra arguments go to `fedbot serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/fedbot serve "$@"
