#!/usr/bin/env bash
# Installs everything and runs every check: lint, types, import contracts, unit/knowledge/CLI tests,
# the database-backed suites on SQLite and on PostgreSQL, and the browser journeys in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

# gir1.2-ical-3.0: libical for Debian's /usr/bin/python3 (python3-gi), a third calendar parser in tests/ical.
DOSEWISE_APT_PACKAGES="chromium wrk poppler-utils postgresql nodejs fonts-dejavu-core python3-gi gir1.2-ical-3.0" scripts/bootstrap.sh dev
# axe-core (the accessibility checker the browser journeys inject), pinned in tests/browser/package-lock.json
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq npm >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --silent)
# Mozilla's ical.js (Thunderbird's calendar parser), pinned in tests/ical/package-lock.json
(cd tests/ical && npm ci --no-audit --no-fund --silent)
# web-push-testing (a real Web Push service: checks the VAPID JWT, decrypts aes128gcm), pinned in
# tests/reminders/package-lock.json
(cd tests/reminders && npm ci --no-audit --no-fund --silent)
# The independent FHIR R4 checkers (R4 JSON schema, the official core package) into tests/fhir/.validators
scripts/fetch_fhir_validators.sh
py=.venv/bin/python
export PYTHONDONTWRITEBYTECODE=1

echo "== ruff"; .venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
echo "== mypy"; .venv/bin/mypy
echo "== import contracts"; .venv/bin/lint-imports

# pytest exits 5 when it collects nothing; every suite here must have tests, so that is a failure.
run_pytest() {
  set +e
  "$py" -m pytest "$@"
  rc=$?
  set -e
  if [ "$rc" = 5 ]; then echo "!! no tests collected for: $*"; fi
  return "$rc"
}

echo "== tests (SQLite)"
run_pytest -q -n 2 -m "not browser" tests

echo "== database-backed tests on PostgreSQL"
pg_url="$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop' EXIT
DOSEWISE_TEST_DATABASE_URL="$pg_url" run_pytest -q -n 2 -m "not browser" tests/web tests/integration tests/cds tests/reminders

echo "== browser journeys (Chromium)"
run_pytest -q -n 2 -m browser tests/browser
