#!/usr/bin/env bash
# Mail to staff (issue 17) against a real SMTP server on loopback (Debian's python3-aiosmtpd)
# with STARTTLS and a throwaway certificate: `vertrouwd notify test` delivers one mail whose
# every header and byte is what we expect and nothing more; it never falls back to plain SMTP
# when the server offers no STARTTLS; and each wrong set-up exits 1 with a clear message.
set -euo pipefail
bin=${1:?usage: check_mail.sh VERTROUWD_BINARY}
py=/usr/bin/python3  # Debian's, which has aiosmtpd (a python3 earlier on PATH may not)
"$py" -c "import aiosmtpd" 2>/dev/null || { echo "python3-aiosmtpd is not installed (scripts/deps.sh)"; exit 1; }
work=$(mktemp -d /tmp/vd-mail.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
fail() { echo "$*"; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
tls_port=$(free_port)
"$py" -m aiosmtpd -n -l "127.0.0.1:$tls_port" --tlscert "$work/cert.pem" --tlskey "$work/key.pem" \
  -c aiosmtpd.handlers.Mailbox "$work/maildir" >"$work/smtp.log" 2>&1 &
pids+=($!)
wait_port "$tls_port" || { cat "$work/smtp.log"; fail "the SMTP server did not start"; }

config() {  # config PORT STARTTLS [EXTRA LINE]
  cat >"$work/config.toml" <<TOML
[storage]
data_dir = "$work/data"
[mail]
smtp_url = "smtp://127.0.0.1:$1"
starttls = $2
ca_file = "$work/cert.pem"
from = "vertrouwd@city.example"
timeout_seconds = 5
${3:-}
TOML
}
notify() { "$bin" --config "$work/config.toml" notify test "$@"; }

# 1. Delivered over STARTTLS, and the mail is exactly this.
config "$tls_port" true
out=$(notify --to advisor@dehaven.example 2>&1) || fail "notify test failed: $out"
[[ "$out" == "test mail sent" ]] || fail "unexpected output: $out"
for _ in $(seq 50); do compgen -G "$work/maildir/new/*" >/dev/null && break; sleep 0.1; done
files=("$work"/maildir/new/*)
[[ ${#files[@]} -eq 1 && -f ${files[0]} ]] || fail "expected one delivered mail, found ${#files[@]}"
# aiosmtpd's Mailbox adds X-Peer, X-MailFrom and X-RcptTo (its own, not ours): drop them, then
# the header names and order, and the body, must be exactly ours.
mail=$(grep -v '^X-Peer: \|^X-MailFrom: \|^X-RcptTo: ' "${files[0]}" | tr -d '\r')
names=$(sed '/^$/q' <<<"$mail" | sed -n 's/^\([A-Za-z-]*\):.*/\1/p' | tr '\n' ' ')
[[ "$names" == "From To Subject Date Message-ID MIME-Version Content-Type Content-Transfer-Encoding " ]] ||
  fail "header fields: $names"
grep -qx "From: vertrouwd@city.example" <<<"$mail" || fail "From"
grep -qx "To: advisor@dehaven.example" <<<"$mail" || fail "To"
grep -qx "Subject: vertrouwd: test" <<<"$mail" || fail "Subject"
grep -qE "^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:00 \+0000$" <<<"$mail" ||
  fail "Date is not to the minute: $(grep '^Date' <<<"$mail")"
grep -qE "^Message-ID: <[0-9a-f]{32}@city.example>$" <<<"$mail" || fail "Message-ID"
body=$(sed '1,/^$/d' <<<"$mail")
expected=$'This is a test message from vertrouwd.\nIt shows that mail to staff arrives. It says nothing about anyone.'
[[ "$body" == "$expected" ]] || fail "body: $body"
grep -q "X-MailFrom: vertrouwd@city.example" "${files[0]}" || fail "envelope sender"
# The session was encrypted: aiosmtpd records the STARTTLS upgrade only as the peer's TLS
# state, so check the server refuses plain mail when it requires TLS (it does by default).
"$py" - "$tls_port" <<'PY' || fail "the test server accepts mail without STARTTLS"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=5)
try:
    s.sendmail("a@b.example", ["c@d.example"], "Subject: x\r\n\r\nx")
    sys.exit(1)
except smtplib.SMTPException:
    sys.exit(0)
PY

# 2. A server that offers no STARTTLS: refused, nothing sent in the clear.
plain_port=$(free_port)
"$py" -m aiosmtpd -n -l "127.0.0.1:$plain_port" -c aiosmtpd.handlers.Mailbox "$work/plain" >"$work/plain.log" 2>&1 &
pids+=($!)
wait_port "$plain_port" || fail "the plain SMTP server did not start"
config "$plain_port" true
if out=$(notify --to advisor@dehaven.example 2>&1); then fail "sent without STARTTLS: $out"; fi
grep -q "smtp:" <<<"$out" || fail "no clear message without STARTTLS: $out"
[[ -z "$(ls -A "$work/plain/new" 2>/dev/null)" ]] || fail "a mail went out in the clear"
# ... unless plain SMTP is asked for, to a server on this machine.
config "$plain_port" false
notify --to advisor@dehaven.example >/dev/null 2>&1 || fail "plain SMTP to loopback failed"

# 3. Wrong set-ups: each exits 1 and says what is wrong, before anything is sent.
expect_fail() {  # expect_fail WHAT PATTERN ARGS...
  local what=$1 pattern=$2; shift 2
  local out
  if out=$("$@" 2>&1); then fail "$what: exit 0"; fi
  grep -q "$pattern" <<<"$out" || fail "$what: '$out' does not say '$pattern'"
}
config "$tls_port" true
expect_fail "bad --to" "not a mail address" notify --to "not-an-address"
expect_fail "header in --to" "not a mail address" notify --to $'a@b.example\r\nBcc: c@d.example'
sed -i "s#^smtp_url = .*#smtp_url = \"smtp://mail.city.example:25\"#; s#^starttls = .*#starttls = false#" "$work/config.toml"
expect_fail "plain SMTP across a network" "only for a server on this machine" notify --to a@b.example
config "$tls_port" true 'password_file = "mail.pw"'
echo secret >"$work/mail.pw"; chmod 644 "$work/mail.pw"
expect_fail "password file readable by others" "readable by others" notify --to a@b.example
expect_fail "serve with a bad password file" "readable by others" "$bin" --config "$work/config.toml" serve
config "$tls_port" true
sed -i 's#^from = .*#from = "nobody"#' "$work/config.toml"
expect_fail "bad from" "not a mail address" notify --to a@b.example
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
config "$tls_port" true
expect_fail "server down" "smtp: " notify --to a@b.example
rm -f "$work/config.toml"
expect_fail "no [mail]" "no mail server" env -u VERTROUWD_CONFIG "$bin" notify test --to a@b.example
echo "mail ok: delivered over STARTTLS with exactly our headers; no plain fallback; 8 wrong set-ups refused"
