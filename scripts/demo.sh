#!/usr/bin/env bash
# Quick start: install packages, build the server alone (not the test suite), run the demo
# (SQLite in ./data-demo). Extra arguments go to `vertrouwd demo`, e.g. --listen 0.0.0.0:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_TARGET=vertrouwd scripts/build.sh build
exec build/src/app/vertrouwd demo "$@"
