#!/usr/bin/env bash
# Builds the Debian package into build-pkg/ with installed paths (/usr, /etc/vertrouwd).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_NOHASHDIR=true
# CI builds in a fresh clone in another folder: rewrite absolute paths so the cache still hits.
export CCACHE_BASEDIR="$PWD"
cmake -S . -B build-pkg -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr -DVD_TESTS=OFF \
  -DVD_SHARE_DIR=/usr/share/vertrouwd -DVD_LOCALE_DIR=/usr/share/vertrouwd/locale >/dev/null
cmake --build build-pkg -j "$(nproc)" --target vertrouwd vd_locales
(cd build-pkg && cpack -G DEB >/dev/null)
ls build-pkg/vertrouwd_*.deb
