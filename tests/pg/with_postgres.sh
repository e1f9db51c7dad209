#!/usr/bin/env bash
# Runs a command with a private PostgreSQL server: initdb in a temporary folder owned by the
# postgres user, a unix socket only (no TCP), stopped and removed afterwards.
# Exports VD_TEST_PG_URL, VD_TEST_PG_BIN and VD_REQUIRE_PG=1 for the tests.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$bin/initdb" ]] || { echo "with_postgres: no PostgreSQL server binaries found" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "with_postgres: no postgres user" >&2; exit 1; }
dir=$(mktemp -d /tmp/vd-pg.XXXXXX)
chown postgres:postgres "$dir"
chmod 700 "$dir"
as_pg() { runuser -u postgres -- "$@"; }
stop() {
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
if ! as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
     -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
     start >/dev/null; then
  cat "$dir/server.log" >&2
  exit 1
fi
as_pg "$bin/psql" -q -X -h "$dir" -U postgres -d postgres -c "CREATE ROLE root SUPERUSER LOGIN" >/dev/null
export VD_TEST_PG_URL="pg:host=$dir user=root dbname=postgres"
export VD_TEST_PG_BIN="$bin"
export VD_REQUIRE_PG=1
set +e
"$@"
status=$?
set -e
exit $status
