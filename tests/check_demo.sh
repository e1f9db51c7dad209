#!/usr/bin/env bash
# The newcomer's first minutes (issue 13): a second `vertrouwd demo` beside a running one
# starts (the demo opens no metrics listener unless asked), and a listener that cannot bind
# names the address that is taken.
set -euo pipefail
bin=${1:?usage: check_demo.sh VERTROUWD_BIN}
work=$(mktemp -d /tmp/vd-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a demo in its own data folder; waits until it prints its URL; echoes the URL.
start_demo() {
  local name=$1; shift
  "$bin" demo --data "$work/$name" --listen 127.0.0.1:0 "$@" >"$work/$name.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do
    grep -q "Stop with Ctrl-C" "$work/$name.out" 2>/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "demo $name exited:"; cat "$work/$name.out"; exit 1; }
    sleep 0.1
  done
  grep -q "Stop with Ctrl-C" "$work/$name.out" || { echo "demo $name did not start"; exit 1; }
  sed -nE 's/.*Worker side \(no account\): +(\S+).*/\1/p' "$work/$name.out"
}

first=$(start_demo one)
second=$(start_demo two)
for url in "$first" "$second"; do
  curl -sf -o /dev/null "$url" || { echo "demo at $url does not answer"; exit 1; }
done
[[ "$first" != "$second" ]] || { echo "both demos on $first"; exit 1; }

# Asked for, the demo serves metrics; a second one asking for the same address is refused
# with a message that names it, and exits non-zero.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_demo three --metrics-listen "127.0.0.1:$port" >/dev/null
curl -sf "http://127.0.0.1:$port/healthz" | grep -q ok || { echo "no metrics on $port"; exit 1; }
if "$bin" demo --data "$work/four" --listen 127.0.0.1:0 --metrics-listen "127.0.0.1:$port" \
    >"$work/four.out" 2>&1; then
  echo "a demo on a taken metrics port started"; exit 1
fi
grep -q "cannot listen on 127.0.0.1:$port: Address already in use" "$work/four.out" ||
  { echo "the error does not name the address:"; cat "$work/four.out"; exit 1; }
# What the service writes is its own (issue 16 item 5): the data folder 0700, the database,
# its WAL and everything else in it 0600, whatever the umask of whoever starts it.
(umask 022; start_demo five >/dev/null)
curl -sf -o /dev/null "$(sed -nE 's/.*Worker side \(no account\): +(\S+).*/\1/p' "$work/five.out")start"
mode() { stat -c %a "$1"; }
[[ $(mode "$work/five") == 700 ]] || { echo "data folder is $(mode "$work/five")"; exit 1; }
found=0
while IFS= read -r -d '' f; do
  found=$((found + 1))
  m=$(mode "$f")
  if [[ -d $f ]]; then want=700; else want=600; fi
  [[ $m == "$want" ]] || { echo "$f is $m, not $want"; exit 1; }
done < <(find "$work/five" -mindepth 1 -print0)
ls "$work/five"/*.db-wal >/dev/null 2>&1 || { echo "no WAL file to check in $work/five"; ls -la "$work/five"; exit 1; }
[[ $found -ge 3 ]] || { echo "only $found files to check"; exit 1; }
echo "demo ok"
