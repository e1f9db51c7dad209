#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang 16 into ./build-fuzz, replays each
# seed corpus (tests/fuzz/corpus/<target>/) and then fuzzes each target for a fixed time.
# Any crash, hang, leak or sanitizer report fails. New inputs go to a temporary folder,
# never into the repository.
#   FUZZ_SECONDS  time per target (default 20)     FUZZ_TARGETS  names (default: all)
#   FUZZ_BUILD    build folder (default build-fuzz)
#   FUZZ_ARGS     extra libFuzzer flags for the fuzzing run, e.g. "-max_len=16384"
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
read -r -a extra <<<"${FUZZ_ARGS:-}"
dir=${FUZZ_BUILD:-build-fuzz}
export CCACHE_NOHASHDIR=true CCACHE_BASEDIR="$PWD"
read -r -a targets <<<"${FUZZ_TARGETS:-http form receipt template catalog config indicators}"

CC=clang-16 CXX=clang++-16 cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVD_FUZZ=ON >/dev/null
cmake --build "$dir" -j "$(nproc)" --target vd_fuzzers

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
work=$(mktemp -d /tmp/vd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

for t in "${targets[@]}"; do
  bin="$dir/tests/fuzz/fuzz_$t"
  corpus="tests/fuzz/corpus/$t"
  [[ -d "$corpus" ]] || { echo "fuzz: no seed corpus for $t" >&2; exit 1; }
  dict=()
  [[ -f "tests/fuzz/$t.dict" ]] && dict=(-dict="tests/fuzz/$t.dict")
  mkdir -p "$work/$t"
  echo "== fuzz_$t: replaying $(find "$corpus" -type f | wc -l) seeds"
  "$bin" -timeout=25 -artifact_prefix="$work/$t-" "$corpus"/* >"$work/$t.replay.log" 2>&1 \
    || { cat "$work/$t.replay.log" >&2; echo "fuzz: seed replay of $t failed" >&2; exit 1; }
  echo "== fuzz_$t: fuzzing for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
       "${dict[@]}" "${extra[@]}" -artifact_prefix="$work/$t-" "$work/$t" "$corpus" >"$work/$t.log" 2>&1; then
    tail -n 80 "$work/$t.log" >&2
    for a in "$work/$t"-*; do
      [[ -f "$a" ]] && { echo "fuzz: crashing input ($a), base64:" >&2; base64 -w0 "$a" >&2; echo >&2; }
    done
    echo "fuzz: $t failed" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|DONE +cov" "$work/$t.log" | tr '\n' ' '
  echo
done
echo "fuzz: all targets clean"
