#!/usr/bin/env bash
# Try fedbot in one command. Sets up .venv, then:
# - with node/npm: starts `fedbot serve` (127.0.0.1, no cloud credentials) and the Microsoft 365
#   Agents Playground (a local Teams-like client, npm) and prints the URL to open;
# - without node: says so and starts `fedbot chat` in the terminal.
# `--demo` answers DNS from built-in sample zones (try fedcheck fabrikam.example) so it works
# offline. Other arguments go to `fedbot serve`. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PORT="${FEDBOT_PORT:-3978}"
PLAYGROUND_PORT="${PLAYGROUND_PORT:-56150}"
demo=()
serve_args=()
for arg in "$@"; do
  if [ "$arg" = "--demo" ]; then demo=(--demo); else serve_args+=("$arg"); fi
done

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "fedbot: node/npm not found, so no Teams-like client can start here (install nodejs and npm" \
    "for the Microsoft 365 Agents Playground); talking to fedbot in the terminal instead." >&2
  exec .venv/bin/fedbot chat
fi

if [ ! -x tests/browser/node_modules/.bin/agentsplayground ]; then
  echo "fedbot: installing the Microsoft 365 Agents Playground (npm, once)..." >&2
  npm install --prefix tests/browser --no-audit --no-fund --silent >/dev/null
fi

.venv/bin/fedbot serve --host 127.0.0.1 --port "$PORT" "${demo[@]}" "${serve_args[@]}" &
fedbot_pid=$!
trap 'kill "$fedbot_pid" "${playground_pid:-}" 2>/dev/null || true' EXIT INT TERM
wait_port() {  # wait_port PORT PID WHAT
  for _ in $(seq 300); do
    .venv/bin/python -c "import socket,sys; sys.exit(socket.socket().connect_ex(('127.0.0.1', $1)))" \
      2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "fedbot: $3 did not start" >&2; exit 1; }
    sleep 0.1
  done
  echo "fedbot: $3 did not open port $1" >&2; exit 1
}
wait_port "$PORT" "$fedbot_pid" "the server"

TEAMSAPPTESTER_BROWSER=none BOT_ENDPOINT="http://127.0.0.1:$PORT/api/messages" \
  tests/browser/node_modules/.bin/agentsplayground --port "$PLAYGROUND_PORT" \
  --app-endpoint "http://127.0.0.1:$PORT/api/messages" --channel-id msteams --disable-telemetry \
  >/dev/null 2>&1 &
playground_pid=$!
wait_port "$PLAYGROUND_PORT" "$playground_pid" "the Agents Playground (is port $PLAYGROUND_PORT free?)"
echo
echo "  fedbot is running. Open http://127.0.0.1:$PLAYGROUND_PORT/ in your browser and say hello"
echo "  (or type: fedcheck contoso.com${demo:+ — demo zones: fedcheck fabrikam.example})."
echo "  Ctrl-C stops it."
echo
wait "$fedbot_pid"
