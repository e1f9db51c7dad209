#!/usr/bin/env bash
# Runs the worker flow through nginx with the shipped site configuration in front of a real
# `vertrouwd serve`: TLS on loopback with a throwaway certificate, cookies, CSRF, receipt;
# then over the onion listener as Tor reaches it (PROXY protocol, one address per circuit),
# where the app must throttle one circuit without holding back another.
set -euo pipefail
bin=${1:?usage: nginx_test.sh VERTROUWD_BINARY SOURCE_DIR}
src=${2:?}
command -v nginx >/dev/null || { echo "nginx is not installed"; exit 1; }
work=$(mktemp -d /tmp/vd-nginx.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# A port nothing listens on, below the kernel's range for outgoing connections (a port in
# that range can be taken by any connection's local end between our probe and nginx's bind),
# and not one of the ports given as arguments.
ephemeral_start=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
free_port() {
  local p
  while :; do
    p=$((10000 + RANDOM % (ephemeral_start - 10000)))
    [[ " $* " == *" $p "* ]] && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
app_port=$(free_port); tls_port=$(free_port "$app_port"); onion_port=$(free_port "$app_port" "$tls_port")

cat >"$work/config.toml" <<TOML
[server]
listen = "127.0.0.1:$app_port"
metrics_listen = ""
[storage]
data_dir = "$work/data"
[crypto]
argon2_ops = 1
argon2_mem_mib = 8
[site]
secure_cookies = true
trusted_proxy = "127.0.0.1"
TOML
"$bin" --config "$work/config.toml" pepper >/dev/null
"$bin" --config "$work/config.toml" org add --slug dehaven --name "De Haven" >/dev/null
code=$("$bin" --config "$work/config.toml" user add --username advisor.dehaven --role advisor --org dehaven |
  sed -n 's/^enrolment code: *//p')
[[ ${#code} -eq 39 ]] || { echo "user add printed no enrolment code"; exit 1; }
"$bin" --config "$work/config.toml" serve >"$work/app.log" 2>&1 &
pids+=($!)

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
mkdir -p "$work/nginx/conf.d" "$work/nginx/logs"
cp "$src/packaging/nginx/vertrouwd-proxy.conf" "$work/nginx/vertrouwd-proxy.conf"
# The shipped site files, with only ports, certificate, log and include paths swapped.
swap=(-e "s#server 127.0.0.1:8080;#server 127.0.0.1:$app_port;#"
      -e "s#listen 443 ssl http2;#listen 127.0.0.1:$tls_port ssl http2;#"
      -e "s#listen 127.0.0.1:8081 proxy_protocol;#listen 127.0.0.1:$onion_port proxy_protocol;#"
      -e "/listen \[::\]:443/d" -e "/listen 80;/d" -e "/listen \[::\]:80;/d" -e "s#return 301.*#return 404;#"
      -e "s#/etc/ssl/vertrouwd/fullchain.pem#$work/cert.pem#" -e "s#/etc/ssl/vertrouwd/privkey.pem#$work/key.pem#"
      -e "s#/etc/nginx/vertrouwd-proxy.conf#$work/nginx/vertrouwd-proxy.conf#g"
      -e "s#/etc/nginx/vertrouwd-site.conf#$work/nginx/vertrouwd-site.conf#g"
      -e "s#/var/log/nginx/vertrouwd-error.log#$work/nginx/logs/error.log#")
sed "${swap[@]}" "$src/packaging/nginx/vertrouwd.conf" >"$work/nginx/conf.d/vertrouwd.conf"
sed "${swap[@]}" "$src/packaging/nginx/vertrouwd-site.conf" >"$work/nginx/vertrouwd-site.conf"
grep -q "listen 127.0.0.1:$onion_port proxy_protocol;" "$work/nginx/conf.d/vertrouwd.conf" ||
  { echo "the shipped site has no onion listener"; exit 1; }
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/main-error.log crit;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  include $work/nginx/conf.d/*.conf;
}
NGINX
nginx -t -q -c "$work/nginx/nginx.conf" -p "$work/nginx"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g "daemon off;" &
pids+=($!)

base="https://127.0.0.1:$tls_port"
jar="$work/cookies"
curl_() { curl -sk --max-time 10 -b "$jar" -c "$jar" -H "Accept-Language: en" "$@"; }
# -f: nginx answers 502 until the app listens (slow under sanitizers), which must not count.
for _ in $(seq 300); do curl_ -f -o /dev/null "$base/healthz" && break; sleep 0.1; done
curl_ -f -o /dev/null "$base/healthz" || { echo "app not reachable through nginx"; tail -20 "$work/app.log"; exit 1; }

headers=$(curl -sk --max-time 10 -D - -o /dev/null "$base/")
grep -qi "^content-security-policy: default-src 'none'" <<<"$headers" || { echo "no CSP through nginx"; exit 1; }
grep -qi "^strict-transport-security:" <<<"$headers" || { echo "no HSTS over TLS"; exit 1; }
grep -qi "^set-cookie: __Host-vd_a=.*Secure" <<<"$headers" || { echo "no __Host- Secure cookie"; echo "$headers"; exit 1; }
if grep -qi "^server: nginx/" <<<"$headers"; then echo "nginx version leaked"; exit 1; fi

# The advisor sets her own password with the enrolment code (this makes dehaven's key).
page=$(curl_ "$base/staff/welcome")
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$page" | head -n1)
welcome=$(curl_ -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" --data "username=advisor.dehaven" \
  --data-urlencode "code=$code" --data-urlencode "password=a long enough password" \
  --data-urlencode "password2=a long enough password" "$base/staff/welcome")
[[ "$welcome" == 200 ]] || { echo "welcome through nginx gave $welcome"; exit 1; }
rm -f "$jar"

page=$(curl_ "$base/start")
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$page" | head -n1)
[[ -n "$csrf" ]] || { echo "no csrf token on /start"; exit 1; }
receipt_page=$(curl_ --data-urlencode "csrf=$csrf" --data "organisation=dehaven" \
  --data-urlencode "message=Through nginx NGINXCANARY" "$base/start")
receipt=$(grep -o '<span>[0-9]\{4\}</span>' <<<"$receipt_page" | tr -dc '0-9')
[[ ${#receipt} -eq 16 ]] || { echo "no receipt: $receipt_page" | head -c 2000; exit 1; }

rm -f "$jar"
page=$(curl_ "$base/open")
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$page" | head -n1)
status=$(curl_ -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" --data "receipt=$receipt" "$base/open")
[[ "$status" == 303 ]] || { echo "open with receipt gave $status"; exit 1; }
curl_ "$base/c" | grep -q "NGINXCANARY" || { echo "conversation did not show the message"; exit 1; }

# The onion listener, as Tor's HiddenServiceExportCircuitID haproxy reaches it: every
# connection starts with a PROXY header whose source address stands for the Tor circuit.
onion() {  # onion CIRCUIT get_req|post_req ARGS...: prints the whole response
  local circuit=$1; shift
  exec 3<>"/dev/tcp/127.0.0.1/$onion_port"
  { printf 'PROXY TCP6 fc00:dead:beef:4dad::%s ::1 41000 80\r\n' "$circuit"; "$@"; } >&3
  timeout 10 cat <&3 || true
  exec 3<&- 3>&-
}
get_req() {  # PATH COOKIE
  printf 'GET %s HTTP/1.1\r\nHost: x.onion\r\nAccept-Language: en\r\nCookie: %s\r\nConnection: close\r\n\r\n' "$1" "$2"
}
post_req() {  # PATH COOKIE BODY
  printf 'POST %s HTTP/1.1\r\nHost: x.onion\r\nAccept-Language: en\r\nCookie: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$1" "$2" "${#3}" "$3"
}
status_of() { head -n1 <<<"$1" | awk '{print $2}'; }
cookie_of() { grep -i "^set-cookie: $2=" <<<"$1" | head -n1 | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r'; }
csrf_of() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$1" | head -n1; }

res=$(onion 0:1 get_req /start "")
[[ $(status_of "$res") == 200 ]] || { echo "onion listener: /start gave $(status_of "$res")"; exit 1; }
grep -qi "^content-security-policy: default-src 'none'" <<<"$res" || { echo "no CSP over the onion"; exit 1; }
anchor=$(cookie_of "$res" "__Host-vd_a"); csrf=$(csrf_of "$res")
[[ -n "$anchor" && -n "$csrf" ]] || { echo "no anchor cookie or csrf over the onion"; exit 1; }
# One circuit that keeps starting conversations is throttled by the app (429) ...
codes=""
for _ in $(seq 11); do
  res=$(onion 0:1 post_req /start "$anchor" "csrf=$csrf&organisation=dehaven&message=")
  codes+="$(status_of "$res") "
done
[[ "$codes" == *429* ]] || { echo "one circuit was never throttled: $codes"; exit 1; }
# ... while another circuit is not held back by it.
res=$(onion 0:2 post_req /start "$anchor" "csrf=$csrf&organisation=dehaven&message=Over+the+onion+ONIONCANARY")
[[ $(status_of "$res") == 200 ]] || { echo "a second circuit was refused: $(status_of "$res") after $codes"; exit 1; }
onion_receipt=$(grep -o '<span>[0-9]\{4\}</span>' <<<"$res" | tr -dc '0-9')
[[ ${#onion_receipt} -eq 16 ]] || { echo "no receipt over the onion"; exit 1; }
# A new circuit (a new Tor Browser identity) opens the conversation with the receipt.
res=$(onion 0:3 get_req /open "")
anchor=$(cookie_of "$res" "__Host-vd_a"); csrf=$(csrf_of "$res")
res=$(onion 0:3 post_req /open "$anchor" "csrf=$csrf&receipt=$onion_receipt")
[[ $(status_of "$res") == 303 ]] || { echo "onion open with receipt gave $(status_of "$res")"; exit 1; }
session=$(grep -i '^set-cookie: ' <<<"$res" | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r' | grep -v '^__Host-vd_a=' | head -n1)
res=$(onion 0:4 get_req /c "$anchor; $session")
grep -q "ONIONCANARY" <<<"$res" || { echo "the onion conversation did not show the message"; exit 1; }

# Request smuggling through the shipped nginx (the classic cases of PortSwigger's research and
# the smuggler and http-garden suites, written down here). Each goes on its own connection,
# followed by a "GET /smuggled" that nginx must either refuse or read as the client's next
# request. nginx and the app must agree on where every request ends: the app answers exactly
# as many requests for /smuggled (an unmatched route in its log) as nginx sent back to this
# client, and a victim's request on a fresh connection right after (nginx may give it the same
# upstream connection) gets its own page.
smuggled="GET /smuggled HTTP/1.1\r\nHost: x.onion\r\n\r\n"
cases=(
  "CL.TE|POST /open HTTP/1.1\r\nHost: x.onion\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$smuggled"
  "TE.CL|POST /open HTTP/1.1\r\nHost: x.onion\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n29\r\n$smuggled\r\n0\r\n\r\n"
  "TE.TE xchunked|POST /open HTTP/1.1\r\nHost: x.onion\r\nContent-Length: 4\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n$smuggled"
  "TE twice|POST /open HTTP/1.1\r\nHost: x.onion\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\nContent-Length: 4\r\n\r\n0\r\n\r\n$smuggled"
  "TE space before colon|POST /open HTTP/1.1\r\nHost: x.onion\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n$smuggled"
  "TE obs-fold|POST /open HTTP/1.1\r\nHost: x.onion\r\nX-A: b\r\n Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n$smuggled"
  "TE tab|POST /open HTTP/1.1\r\nHost: x.onion\r\nTransfer-Encoding:\tchunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n$smuggled"
  "TE identity, chunked|POST /open HTTP/1.1\r\nHost: x.onion\r\nTransfer-Encoding: identity, chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n$smuggled"
  "TE chunked, identity|POST /open HTTP/1.1\r\nHost: x.onion\r\nTransfer-Encoding: chunked, identity\r\nContent-Length: 4\r\n\r\n0\r\n\r\n$smuggled"
  "TE bare LF|POST /open HTTP/1.1\r\nHost: x.onion\r\nX-A: b\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n$smuggled"
  "CL.CL|POST /open HTTP/1.1\r\nHost: x.onion\r\nContent-Length: 0\r\nContent-Length: 41\r\n\r\n$smuggled"
  "CL plus sign|POST /open HTTP/1.1\r\nHost: x.onion\r\nContent-Length: +41\r\n\r\n$smuggled"
  "CL obs-fold|POST /open HTTP/1.1\r\nHost: x.onion\r\nContent-Length: 0\r\n 41\r\n\r\n$smuggled"
  "chunk size 0x|POST /open HTTP/1.1\r\nHost: x.onion\r\nTransfer-Encoding: chunked\r\n\r\n0x0\r\n\r\n$smuggled"
  "chunk extension LF|POST /open HTTP/1.1\r\nHost: x.onion\r\nTransfer-Encoding: chunked\r\n\r\n0;a\nb\r\n\r\n$smuggled"
  "two Hosts|GET /open HTTP/1.1\r\nHost: x.onion\r\nHost: other.example\r\n\r\n$smuggled"
  "no Host|GET /open HTTP/1.1\r\n\r\n$smuggled"
  "absolute-form|GET http://other.example/open HTTP/1.1\r\nHost: x.onion\r\n\r\n$smuggled"
  "NUL in a field|GET /open HTTP/1.1\r\nHost: x.onion\r\nX-A: a\x00b\r\n\r\n$smuggled"
)
unmatched() { grep -c "(unmatched)" "$work/app.log" || true; }
n=0
results=""
for entry in "${cases[@]}"; do
  name=${entry%%|*}; bytes=${entry#*|}
  n=$((n + 1))
  before=$(unmatched)
  exec 3<>"/dev/tcp/127.0.0.1/$onion_port"
  # nginx may close as soon as it has refused: a write after that is no failure of the test.
  (trap '' PIPE; printf "PROXY TCP6 fc00:dead:beef:4dad::9:$n ::1 41000 80\r\n$bytes" >&3) 2>/dev/null || true
  res=$(timeout 1.5 cat <&3 2>/dev/null || true)  # nginx keeps the connection open: read what came
  exec 3<&- 3>&-
  first=$(status_of "$res")
  # Refused (4xx, or nginx's 501 for a coding it does not know) or answered; never an error
  # of the app or of the way to it.
  [[ -n "$first" && ! "$first" =~ ^50[0234]$ ]] || { echo "smuggling case '$name' got '$first'"; exit 1; }
  # The victim, on a fresh connection.
  victim=$(onion "9:$n:1" get_req /help "")
  [[ $(status_of "$victim") == 200 ]] || { echo "after '$name' a victim got $(status_of "$victim")"; exit 1; }
  grep -q 'href="/help/' <<<"$victim" || { echo "after '$name' a victim got another page"; exit 1; }
  sleep 0.2  # the app writes its log line after the answer
  seen=$(( $(unmatched) - before ))
  answered=$(grep -c "^HTTP/1.1 404 " <<<"$res" || true)
  [[ "$seen" == "$answered" ]] ||
    { echo "'$name': the app saw $seen request(s) for /smuggled, nginx answered $answered"; exit 1; }
  results+="$name: $first"
  [[ "$answered" == 0 ]] || results+=" then $answered x 404 (nginx's own reading)"
  results+="; "
done
echo "request smuggling, ${#cases[@]} cases, nginx and the app agree: $results"

if grep -rq "127.0.0.1\|fc00:\|NGINXCANARY\|ONIONCANARY\|$receipt" "$work/nginx/logs" 2>/dev/null; then echo "nginx logged something it must not"; exit 1; fi
if grep -q "fc00:\|NGINXCANARY\|ONIONCANARY\|$receipt\|$onion_receipt" "$work/app.log"; then echo "app logged something it must not"; exit 1; fi
echo "nginx flow ok (TLS and onion listeners)"
