#!/usr/bin/env bash
# `vertrouwd report` as an operator meets it (issue 15): after the year's first release, a
# raised epsilon, another spelling of the city, another way of releasing the year or a
# request for threshold mode exits 1 with a clear message and stores nothing; the restored
# configuration gets the stored release back byte for byte; --out /dev/null leaves the
# device a device.
set -euo pipefail
bin=${1:?usage: check_report_cli.sh VERTROUWD_BIN}
work=$(mktemp -d /tmp/vd-report-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# config CITY EPSILON [EXTRA LINE]
config() {
  cat >"$work/config.toml" <<TOML
[server]
listen = "127.0.0.1:0"
metrics_listen = ""
[storage]
data_dir = "$work/data"
[crypto]
argon2_ops = 1
argon2_mem_mib = 8
[report]
city = "$1"
epsilon = "$2"
${3:-}
TOML
}
vd() { "$bin" --config "$work/config.toml" "$@"; }
releases() { sqlite3 "$work/data/vertrouwd.db" "SELECT COUNT(*) FROM report_releases"; }
terms() { sqlite3 "$work/data/vertrouwd.db" "SELECT city, cap_num, cap_den, periods FROM report_terms"; }

config "Den Haag" 2
vd init --admin beheer >"$work/init.out" 2>&1 || { cat "$work/init.out"; fail "init"; }
vd seed --contacts 300 --year 2026 >"$work/seed.out" 2>&1 || { cat "$work/seed.out"; fail "seed"; }
vd report --period 2026 --format json --out "$work/first.json" 2>"$work/err" ||
  { cat "$work/err"; fail "the first release"; }
[[ $(releases) == 1 ]] || fail "the first release was not stored"
[[ $(terms) == "Den Haag|2|1|year" ]] || fail "terms stored: $(terms)"
echo "ok: the first release fixes the year's terms"

# refused WHAT EXPECTED-TEXT REPORT-ARGS...: exit 1, the message on stderr, nothing stored
# or written.
refused() {
  local what=$1 expected=$2
  shift 2
  rm -f "$work/out"
  if vd report --format json --out "$work/out" "$@" 2>"$work/err"; then fail "$what: accepted"; fi
  grep -qF -- "$expected" "$work/err" || { cat "$work/err"; fail "$what: no clear message"; }
  [[ $(releases) == 1 ]] || fail "$what: a release was stored"
  [[ $(terms) == "Den Haag|2|1|year" ]] || fail "$what: the terms changed to $(terms)"
  [[ ! -e "$work/out" ]] || fail "$what: output was written"
  echo "ok: refuses $what ($*)"
}

config "Den Haag" 10
refused "a raised epsilon" "was fixed at epsilon 2 by its first release; [report] epsilon asks for 10" --period 2026-Q1
refused "a raised epsilon" "The privacy budget (ε) of this year was fixed by its first release" --period 2026
config "Den Haag " 2
refused "a trailing space in the city" 'made for the city "Den Haag"; [report] city is "Den Haag "' --period 2026
config "den Haag" 2
refused "another case of the city" 'made for the city "Den Haag"' --period 2026-Q2
config "Den Haag" 2 'periods = "quarters"'
refused "quarters after the whole year" "Set [report] periods back" --period 2026-Q3
config "Den Haag" 2 'max_records_per_person = 4'
refused "more records per person" "max_records_per_person asks for 4" --period 2026
config "Den Haag" 2
refused "a quarter of a year released whole" "released as a whole year only" --period 2026-Q1
refused "threshold mode" "Threshold suppression is withdrawn" --method threshold --period 2026
refused "a month range" "A release covers a year (2026) or a quarter" --period 2026-01..2026-03
config "Den Haag" 2 'method = "threshold"'
if vd report --period 2026 --out "$work/out" 2>"$work/err"; then fail "threshold in the config: accepted"; fi
grep -qF 'report.method "threshold" is withdrawn' "$work/err" || { cat "$work/err"; fail "threshold config: no clear message"; }
[[ $(releases) == 1 ]] || fail "threshold config: a release was stored"
echo "ok: a configuration asking for threshold mode does not load"

config "Den Haag" 2
vd report --period 2026 --format json --out "$work/again.json" 2>"$work/err" || { cat "$work/err"; fail "again"; }
cmp -s "$work/first.json" "$work/again.json" || fail "asking again gave other numbers"
[[ $(releases) == 1 ]] || fail "asking again stored a release"
echo "ok: the restored configuration gets the stored release back"
config "Den Haag" 1
vd report --period 2026 --format csv --out /dev/null 2>"$work/err" || { cat "$work/err"; fail "a lower epsilon"; }
[[ -c /dev/null ]] || fail "/dev/null is no longer a device"
echo "ok: a lower epsilon is allowed; --out /dev/null stays a device"

# The command line's acts are audited like the browser's (issue 16 item 6): init and a
# publication name the operating-system account that ran them, and the chain verifies.
vd report --period 2026 --publish --out /dev/null 2>"$work/err" || { cat "$work/err"; fail "publish"; }
account=$(id -un)
cli=$(sqlite3 "$work/data/vertrouwd.db" "SELECT user_id || ' ' || action || ' ' || record FROM audit_log WHERE action LIKE 'cli.%' ORDER BY id")
grep -qE "^0 cli\.init user:[0-9]+ os:$account( |$)" <<<"$cli" || fail "init is not audited: $cli"
grep -qE "^0 cli\.report\.publish release:[0-9]+ os:$account( |$)" <<<"$cli" || fail "publish is not audited: $cli"
vd audit verify >"$work/verify" 2>&1 || { cat "$work/verify"; fail "the audit chain does not verify"; }
echo "ok: init and report --publish are in the audit log, as $account"
