#!/usr/bin/env bash
# Installs dosewise and starts the main job: the web app on SQLite at http://127.0.0.1:8000
# (`dosewise serve`). Extra arguments go to `dosewise serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
if .venv/bin/dosewise serve --help >/dev/null 2>&1; then
  exec .venv/bin/dosewise serve "$@"
fi
# Before the web app exists the CLI is the main job: show what it does.
.venv/bin/dosewise --help
.venv/bin/dosewise plan titrate baclofen
