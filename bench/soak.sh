#!/usr/bin/env bash
# Soak run: MINUTES of mixed traffic against the real server on SQLite (bench/soak.py says
# what each actor does; at RATE 1 about 3.5 requests/s, one in six of them an Argon2id hash),
# with RSS, open file descriptors, threads and p99 latency sampled every 10 s. Exit 1 on any
# unexpected answer or server error log line, or when past a bound:
#   RSS            the lowest sample of the last minute at most RSS_GROWTH_MIB (32) above the
#                  lowest of the first minute after warm-up (a fifth of the run, at most 2 min);
#                  the lowest, since a sample taken mid-hash holds Argon2id's 64 MiB
#   descriptors    at most FD_GROWTH (32) above the lowest count after warm-up
#   page p99       no 10 s window above PAGE_P99_MS (2000), none of the hashing requests above
#                  HASH_P99_MS (5000), and the median window of the last third at most twice
#                  that of the first third (+50 ms)
# The samples stay in OUT (default bench/soak-MINUTES.csv, a .json summary beside it).
# Usage: bench/soak.sh [MINUTES] [RATE]      (defaults: 30 minutes, rate 1)
# Argon2id runs at libsodium's "interactive" setting (64 MiB, 2 passes), not the production
# "moderate" one: the run looks for leaks and drift, not for the hash's cost (bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
rate=${2:-1}
out=${OUT:-bench/soak-${minutes}.csv}
build=${BUILD:-build}
if [[ -z "${SOAK_NO_BUILD:-}" ]]; then
  cmake --build "$build" -j2 --target vertrouwd vd_bench_soak_seed >/dev/null
fi
work=$(mktemp -d /tmp/vd-soak.XXXXXX)
pid=
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# The binary is copied so that a rebuild during a long run does not change what runs.
cp "$build/src/app/vertrouwd" "$work/vertrouwd"
bin=$work/vertrouwd
ephemeral_start=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
free_port() { local p; while :; do p=$((10000 + RANDOM % (ephemeral_start - 10000))); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }
port=$(free_port)
cat >"$work/config.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
metrics_listen = ""
[storage]
data_dir = "$work/data"
[crypto]
argon2_mem_mib = 64
argon2_ops = 2
[site]
trusted_proxy = "127.0.0.1"
secure_cookies = false
templates_dir = "$PWD/templates"
static_dir = "$PWD/static"
locale_dir = "$PWD/$build/locale"
[report]
city = "Soakstad"
[log]
level = "warn"
TOML
password="soak password 1234"
year=$(date -u +%Y)
"$bin" --config "$work/config.toml" pepper >/dev/null
"$build/bench/vd_bench_soak_seed" "$work/config.toml" "$password" >"$work/staff.txt"
"$bin" --config "$work/config.toml" seed --contacts 2000 --year "$year" >/dev/null
"$bin" --config "$work/config.toml" serve >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 400); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.05; done
curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || { cat "$work/serve.log" >&2; exit 1; }
status=0
"${PYTHON:-/usr/bin/python3}" bench/soak.py --base "http://127.0.0.1:$port" --pid "$pid" --binary "$bin" \
  --staff "$work/staff.txt" --password "$password" --period "$year" --minutes "$minutes" --rate "$rate" \
  --out "$out" --rss-growth-kib $(( ${RSS_GROWTH_MIB:-32} * 1024 )) --fd-growth "${FD_GROWTH:-32}" \
  --page-p99-ms "${PAGE_P99_MS:-2000}" --hash-p99-ms "${HASH_P99_MS:-5000}" || status=$?
if ! kill -0 "$pid" 2>/dev/null; then echo "soak: the server died" >&2; status=1; fi
if grep -E '\[(error|critical)\]' "$work/serve.log" >&2; then echo "soak: the server logged errors" >&2; status=1; fi
exit "$status"
