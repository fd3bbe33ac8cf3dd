#!/usr/bin/env bash
# `start` prints a PostgreSQL URL for the tests: the local server on 127.0.0.1:5432 when one answers
# (as on the python-svc machines), otherwise a throwaway cluster on a free loopback port. `stop` stops
# a throwaway cluster if this script started one.
set -euo pipefail
state=/tmp/dosewise-pg
case "${1:-}" in
  start)
    if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
      db="dosewise_test_$$"
      psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
      if psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $db" >/dev/null 2>&1; then
        echo "$db" > "$state.db"
        echo "postgresql+psycopg://postgres@127.0.0.1:5432/$db"
        exit 0
      fi
      echo "postgresql+psycopg://postgres@127.0.0.1:5432/test"
      exit 0
    fi
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    rm -rf "$state"; mkdir -p "$state"; chown postgres "$state"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    runuser -u postgres -- "$bin/initdb" -A trust --no-sync -U postgres -D "$state/data" >/dev/null
    runuser -u postgres -- "$bin/pg_ctl" -D "$state/data" -l "$state/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -c fsync=off -k $state" start >/dev/null
    runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres test
    echo "$port" > "$state/port"
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/test"
    ;;
  stop)
    if [ -f "$state.db" ]; then
      psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $(cat "$state.db") WITH (FORCE)" \
        >/dev/null 2>&1 || true
      rm -f "$state.db"
    fi
    if [ -f "$state/port" ]; then
      bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
      runuser -u postgres -- "$bin/pg_ctl" -D "$state/data" -m fast stop >/dev/null || true
      rm -rf "$state"
    fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
