#!/usr/bin/env bash
# The whole test suite: install packages, build, start a private PostgreSQL server, run
# every test (unit, store conformance on SQLite and PostgreSQL, HTTP integration), again
# under ASan+UBSan, then the fuzzers (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
# The Debian package: contents, maintainer scripts and the hardened systemd unit.
scripts/package.sh >/dev/null
tests/check_package.sh build-pkg/vertrouwd_*.deb
tests/pg/with_postgres.sh ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900
# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer (+ _GLIBCXX_ASSERTIONS,
# LeakSanitizer): any report aborts the test that caused it.
scripts/build.sh build-asan -DVD_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  tests/pg/with_postgres.sh ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 900
# libFuzzer: replay the seed corpora, then fuzz each target for a short fixed time.
scripts/fuzz.sh
# Real-browser tests (issue 5): the real binary in Debian's Chromium through playwright-core,
# axe-core on every worker page in every language; node's test runner prints the summary.
# Screenshots and page weights go to test-output/.
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error &&
  VERTROUWD_BIN="$PWD/../../build/src/app/vertrouwd" node --test --test-concurrency=1)
