#!/usr/bin/env bash
# Fails if a module includes a header from a module it may not depend on (STYLE.md layout).
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
[[ $bad -eq 0 ]] && echo "layering ok"
exit $bad
