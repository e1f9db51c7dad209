#!/usr/bin/env bash
# Installs the Debian 12 packages vertrouwd builds and tests with. Nothing else is fetched.
# Run as root. Skips apt entirely when everything is already there.
set -euo pipefail
packages=(
  build-essential cmake pkg-config ccache gettext
  libboost1.81-dev libboost-url1.81-dev libboost-locale1.81-dev
  libsoci-dev libsqlite3-dev libpq-dev postgresql
  libsodium-dev liboath-dev libqrencode-dev
  # Mail to staff (issue 17): libcurl's SMTP client; a real SMTP server for the tests.
  libcurl4-openssl-dev python3-aiosmtpd
  libkainjow-mustache-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libcmark-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nginx openssl curl wrk
  # tests/check_tor_config.sh checks the shipped onion-service example with tor itself.
  tor
  clang-16 libclang-rt-16-dev
  # Real-browser tests (tests/e2e): Debian's Chromium and the fonts Thai, Chinese and
  # Cyrillic pages need; Node.js runs Playwright (npm packages pinned in tests/e2e).
  chromium fonts-noto-core fonts-thai-tlwg fonts-noto-cjk
)
# Node.js and npm: Debian's, unless a Node.js with npm is already installed.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
