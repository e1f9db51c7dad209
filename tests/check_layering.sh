#!/usr/bin/env bash
# Fails if a module includes a header from a module it may not depend on (STYLE.md layout),
# or if the web layer reaches the store itself instead of through a domain service.
set -euo pipefail
src=${1:?usage: check_layering.sh SRC_DIR}
declare -A allowed=(
  [core]="core"
  [crypto]="core crypto"
  [store]="core store"
  [i18n]="core i18n"
  [domain]="core crypto store domain"
  [report]="core store report"
  [web]="core crypto store domain report i18n web"
  [app]="core crypto store domain report i18n web app"
)
bad=0
for dir in "$src"/*/; do
  mod=$(basename "$dir")
  [[ -n "${allowed[$mod]:-}" ]] || { echo "unknown module $mod"; bad=1; continue; }
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([a-z_0-9]+)\/.*/\1/' <<<"$line")
    [[ " ${allowed[$mod]} " == *" $inc "* ]] || { echo "$file includes $inc/ (not allowed for $mod)"; bad=1; }
  done < <(grep -HE '^#include "[a-z_0-9]+/' "$dir"*.{h,cc} 2>/dev/null | grep -v '_test.cc:' || true)
done

# The web layer never calls the store: a handler calls a domain (or report) service, which
# the app built. Web may include the store's plain value headers (rows such as
# DirectoryEntry), never the Store interface or a backend, and no web source may name the
# Store type or reach for a store member. Comments are ignored; tests beside the code too.
web_store_headers="records.h report_rows.h"
while IFS= read -r file; do
  while IFS= read -r hit; do
    echo "$file:$hit (src/web may not call the store; add a domain service function)"
    bad=1
  done < <(sed -E 's://.*$::' "$file" |
           grep -nE '\b(Store|SociStore|OpenStore)\b|(\.|->)store\b|\bstore_\b' || true)
  while IFS= read -r inc; do
    header=${inc#store/}
    [[ " $web_store_headers " == *" $header "* ]] ||
      { echo "$file includes $inc (src/web may include only: $web_store_headers)"; bad=1; }
  done < <(sed -nE 's/^#include "(store\/[^"]+)".*/\1/p' "$file")
done < <(find "$src/web" -maxdepth 1 \( -name '*.h' -o -name '*.cc' \) ! -name '*_test.cc' | sort)

[[ $bad -eq 0 ]] && echo "layering ok"
exit $bad
