#!/usr/bin/env bash
# Runs the worker flow through nginx with the shipped site configuration in front of a real
# `vertrouwd serve`: TLS on loopback with a throwaway certificate, cookies, CSRF, receipt.
set -euo pipefail
bin=${1:?usage: nginx_test.sh VERTROUWD_BINARY SOURCE_DIR}
src=${2:?}
command -v nginx >/dev/null || { echo "nginx is not installed"; exit 1; }
work=$(mktemp -d /tmp/vd-nginx.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
app_port=$(free_port); tls_port=$(free_port)

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
"$bin" --config "$work/config.toml" org add --slug dehaven --name "De Haven" >/dev/null
"$bin" --config "$work/config.toml" user add --username advisor.dehaven --role advisor --org dehaven >/dev/null
"$bin" --config "$work/config.toml" serve >"$work/app.log" 2>&1 &
pids+=($!)

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
mkdir -p "$work/nginx/conf.d" "$work/nginx/logs"
cp "$src/packaging/nginx/vertrouwd-proxy.conf" "$work/nginx/vertrouwd-proxy.conf"
# The shipped site file, with only ports, certificate and include paths swapped for the test.
sed -e "s#server 127.0.0.1:8080;#server 127.0.0.1:$app_port;#" \
    -e "s#listen 443 ssl http2;#listen 127.0.0.1:$tls_port ssl http2;#" \
    -e "/listen \[::\]:443/d" -e "/listen 80;/d" -e "/listen \[::\]:80;/d" -e "s#return 301.*#return 404;#" \
    -e "s#/etc/ssl/vertrouwd/fullchain.pem#$work/cert.pem#" -e "s#/etc/ssl/vertrouwd/privkey.pem#$work/key.pem#" \
    -e "s#/etc/nginx/vertrouwd-proxy.conf#$work/nginx/vertrouwd-proxy.conf#g" \
    -e "s#/var/log/nginx/vertrouwd-error.log#$work/nginx/logs/error.log#" \
    "$src/packaging/nginx/vertrouwd.conf" >"$work/nginx/conf.d/vertrouwd.conf"
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

if grep -rq "127.0.0.1\|NGINXCANARY\|$receipt" "$work/nginx/logs" 2>/dev/null; then echo "nginx logged something it must not"; exit 1; fi
if grep -q "NGINXCANARY\|$receipt" "$work/app.log"; then echo "app logged something it must not"; exit 1; fi
echo "nginx flow ok"
