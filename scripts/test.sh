#!/usr/bin/env bash
# The whole test suite: install packages, build, start a private PostgreSQL server, run
# every test (unit, store conformance on SQLite and PostgreSQL, HTTP integration).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
tests/pg/with_postgres.sh ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900
