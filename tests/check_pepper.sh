#!/usr/bin/env bash
# The pepper file (issue 14), as an operator meets it: `serve` refuses to start, with a clear
# message and a non-zero exit, when the pepper file is missing, open to others, or of the
# wrong size; `init` creates it with mode 0600 beside the configuration and never replaces
# it; a database started with one pepper refuses another. No message shows a pepper byte.
set -euo pipefail
bin=${1:?usage: check_pepper.sh VERTROUWD_BIN}
work=$(mktemp -d /tmp/vd-pepper.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/etc"
cat >"$work/etc/config.toml" <<TOML
[server]
listen = "127.0.0.1:0"
metrics_listen = ""
[storage]
data_dir = "$work/data"
[crypto]
argon2_ops = 1
argon2_mem_mib = 8
TOML
pepper="$work/etc/pepper.key"
fail() { echo "FAIL: $*"; exit 1; }

# serve must exit non-zero and say `expected` on stderr.
refuses() {
  local what=$1 expected=$2
  if timeout 20 "$bin" --config "$work/etc/config.toml" serve >"$work/out" 2>&1; then
    fail "serve started with $what"
  fi
  grep -qF -- "$expected" "$work/out" || { cat "$work/out"; fail "no clear message for $what"; }
  echo "ok: refuses $what"
}

refuses "no pepper file" "pepper file $pepper: missing"
[[ ! -e "$work/data/vertrouwd.db" ]] || fail "a refused start created the database"

"$bin" --config "$work/etc/config.toml" init --admin beheer >"$work/init.out" 2>&1 ||
  { cat "$work/init.out"; fail "init failed"; }
[[ -f "$pepper" ]] || fail "init made no pepper file beside the configuration"
[[ "$(stat -c %a "$pepper")" == 600 ]] || fail "pepper mode is $(stat -c %a "$pepper"), not 600"
[[ "$(stat -c %s "$pepper")" == 32 ]] || fail "pepper is not 32 bytes"
grep -q "pepper file: *$pepper (created" "$work/init.out" || fail "init does not say where the pepper is"
echo "ok: init creates a 0600 pepper of 32 bytes"
cp -p "$pepper" "$work/pepper.orig"
hex=$(od -An -tx1 "$pepper" | tr -d ' \n')
"$bin" --config "$work/etc/config.toml" pepper >"$work/again.out" 2>&1 || fail "pepper refused a good file"
cmp -s "$pepper" "$work/pepper.orig" || fail "the pepper was replaced"
echo "ok: an existing pepper is kept"

chmod 0644 "$pepper"
refuses "a 0644 pepper file" "is open to group or others (mode 0644)"
chmod 0600 "$pepper"
head -c 31 "$work/pepper.orig" >"$pepper"
refuses "a 31-byte pepper file" "has 31 bytes, not 32"
head -c 32 /dev/urandom >"$pepper"
refuses "another database's pepper" "does not belong to this database"
cp -p "$work/pepper.orig" "$pepper"

# With its own pepper back, the server starts and answers.
"$bin" --config "$work/etc/config.toml" serve >"$work/serve.out" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q "listening on" "$work/serve.out" && break; sleep 0.1; done
grep -q "listening on" "$work/serve.out" || { cat "$work/serve.out"; fail "serve did not start with its pepper"; }
echo "ok: serve starts with its own pepper"

# Nothing printed anywhere holds the pepper.
for f in "$work"/*.out "$work/out"; do
  if od -An -tx1 "$f" | tr -d ' \n' | grep -q "$hex"; then fail "$f holds the pepper"; fi
done
echo "pepper ok"
