#!/usr/bin/env bash
# Installs everything dosewise needs on a fresh Debian machine: system packages, then a virtual
# environment with the project and its extras from pyproject.toml. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  packages="${DOSEWISE_APT_PACKAGES:-}"
  if [ -n "$packages" ]; then
    missing=""
    for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
    if [ -n "$missing" ]; then
      echo "== apt-get install$missing"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq $missing >/dev/null
    fi
  fi
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
echo "== pip install -e .${extras:+[$extras]}"
.venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
# An editable install leaves the sources uncompiled, and where PYTHONDONTWRITEBYTECODE is set (as on these
# machines) every `dosewise` command would compile them again: about half of a CLI start (benchmarks).
.venv/bin/python -m compileall -q src >/dev/null
