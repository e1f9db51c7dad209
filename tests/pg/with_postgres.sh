#!/usr/bin/env bash
# Usage: tests/pg/with_postgres.sh CMD [ARGS...]
# Runs CMD next to a private, throw-away PostgreSQL server: initdb in a temporary folder, a
# unix socket in that folder only (no TCP), fsync off. Exports VD_TEST_PG_URL (a "pg:" store
# URL for a superuser), VD_TEST_PG_BIN (the server's bin folder, for pg_dump and psql) and
# VD_REQUIRE_PG=1 (so PostgreSQL tests fail instead of skipping). Exits with CMD's status;
# the server is stopped and the folder removed however CMD ends.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "with_postgres: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/vd-pg.XXXXXX)
if [[ $(id -u) -eq 0 ]]; then
  # initdb and postgres refuse to run as root.
  id postgres >/dev/null 2>&1 || { echo "with_postgres: no postgres user" >&2; exit 1; }
  chown postgres:postgres "$dir"
  as_pg() { (cd "$dir" && runuser -u postgres -- "$@"); }
  me=root
else
  as_pg() { (cd "$dir" && "$@"); }
  me=$(id -un)
fi
chmod 700 "$dir"

started=0
cleanup() {
  if [[ $started -eq 1 ]]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 \
      || as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! as_pg "$bin/initdb" -D "$dir/data" --no-sync -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
     >"$dir/initdb.log" 2>&1; then
  echo "with_postgres: initdb failed:" >&2
  cat "$dir/initdb.log" >&2
  exit 1
fi

started=1
if ! as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
     -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
     start >/dev/null; then
  echo "with_postgres: the server did not start; its log:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi

ready=0
for _ in $(seq 1 100); do
  if "$bin/pg_isready" -q -h "$dir" -d postgres; then ready=1; break; fi
  sleep 0.1
done
if [[ $ready -ne 1 ]]; then
  echo "with_postgres: the server never became ready; its log:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi

if [[ "$me" != postgres ]]; then
  as_pg "$bin/psql" -q -X -v ON_ERROR_STOP=1 -h "$dir" -U postgres -d postgres \
    -c "CREATE ROLE \"$me\" SUPERUSER LOGIN" >/dev/null
fi

export VD_TEST_PG_URL="pg:host=$dir dbname=postgres user=$me"
export VD_TEST_PG_BIN="$bin"
export VD_REQUIRE_PG=1

set +e
"$@"
status=$?
set -e
exit "$status"
