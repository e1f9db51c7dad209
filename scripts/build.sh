#!/usr/bin/env bash
# Configures and builds vertrouwd into ./build (or $1). Uses ccache when present.
# BUILD_TARGET=vertrouwd builds the server binary alone (the demo needs nothing else).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
jobs=$(nproc)
# Share ccache hits between build folders (debug info would otherwise pin the folder).
export CCACHE_NOHASHDIR=true
# CI builds in a fresh clone in another folder: rewrite absolute paths so the cache still hits.
export CCACHE_BASEDIR="$PWD"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$jobs" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
