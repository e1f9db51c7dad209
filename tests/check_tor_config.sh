#!/usr/bin/env bash
# The shipped onion-service example must be a configuration Tor accepts (tor --verify-config
# checks every option and value without going online), and must point at the onion listener
# of the shipped nginx site.
set -euo pipefail
src=${1:?usage: check_tor_config.sh SOURCE_DIR}
command -v tor >/dev/null || { echo "tor is not installed (scripts/deps.sh)"; exit 1; }
work=$(mktemp -d /tmp/vd-tor.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/data" "$work/hs"
example="$src/packaging/tor/torrc.example"
{
  echo "DataDirectory $work/data"
  echo "SocksPort 0"
  sed "s#^HiddenServiceDir .*#HiddenServiceDir $work/hs/#" "$example"
} >"$work/torrc"
tor --verify-config -f "$work/torrc" >"$work/out" 2>&1 || { cat "$work/out"; echo "tor refuses the example"; exit 1; }
grep -q "Configuration was valid" "$work/out" || { cat "$work/out"; exit 1; }
target=$(awk '$1 == "HiddenServicePort" {print $3}' "$example")
grep -q "listen $target proxy_protocol;" "$src/packaging/nginx/vertrouwd.conf" ||
  { echo "torrc points at $target, which is not nginx's onion listener"; exit 1; }
grep -qx "HiddenServiceExportCircuitID haproxy" "$example" || { echo "no per-circuit addresses"; exit 1; }
grep -qx "HiddenServicePoWDefensesEnabled 1" "$example" || { echo "no proof-of-work defence"; exit 1; }
grep -qx "HiddenServiceEnableIntroDoSDefense 1" "$example" || { echo "no introduction-rate defence"; exit 1; }
grep -qx "HiddenServiceMaxStreamsCloseCircuit 1" "$example" || { echo "no per-circuit stream cap"; exit 1; }
echo "tor config ok"
