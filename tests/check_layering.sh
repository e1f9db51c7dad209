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
  [notify]="core notify"
  [web]="core crypto store domain report i18n web"
  [app]="core crypto store domain report i18n web notify app"
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

# Domain operations open their own transactions (Database::Read/Write with the aggregate
# stores, store/database.h), so a domain source holds a Database&, never the Store: it does
# not include store/store.h nor name the Store type. The legacy Store methods (one
# transaction per call, which let one domain operation span several) are declared in
# store/store.h between the "Legacy" markers; no source or test in src/domain or src/web
# calls one. A call to an aggregate store passes the transaction first (`tx`) or goes
# through the Database accessor (`db_.staff().FindUserById(tx, id)`); anything else is a
# legacy call. Comments are ignored.
# (Every legacy method is gone now; the check stays so that none comes back unnoticed.)
legacy_exceptions=""
store_h="$src/store/store.h"
legacy=$(sed -n '/^ *\/\/ --- Legacy/,/^ *\/\/ --- End of legacy/p' "$store_h" | sed -E 's://.*$::' |
         grep -oE '\b[A-Z][A-Za-z0-9]*\(' | tr -d '(' | sort -u | paste -sd'|' || true)
if grep -q '^ *// --- Legacy' "$store_h" && [[ -z "$legacy" ]]; then
  echo "$store_h: no method names found between the Legacy markers (check this script)"
  bad=1
fi
accessors='(settings|staff|sessions|conversations|contacts|directory|audit|help|reports)\(\)'
for dir in "$src/domain" "$src/web"; do
  while IFS= read -r file; do
    name=$(basename "$file")
    [[ " $legacy_exceptions " == *" $name "* ]] && continue
    code=$(sed -E 's://.*$::' "$file")
    if [[ "$dir" == "$src/domain" && "$name" != *_test.cc && "$name" != *_test_util.h ]]; then
      while IFS= read -r hit; do
        echo "$file:$hit (a domain source holds a Database&, not the Store: use Read/Write)"
        bad=1
      done < <(grep -nE '#include "store/store\.h"|\bStore\b' <<<"$code" || true)
    fi
    [[ -n "$legacy" ]] || continue
    while IFS= read -r hit; do
      echo "$file:$hit (a legacy Store method: open a transaction with Read/Write and call" \
           "the aggregate store)"
      bad=1
    done < <(grep -noE "[A-Za-z_0-9]*(\(\))?\s*(\.|->)\s*($legacy)\s*\(\s*[A-Za-z_0-9]*" <<<"$code" |
             grep -vE ":$accessors\s*(\.|->)" | grep -vE "\(\s*tx$" || true)
  done < <(find "$dir" -maxdepth 1 \( -name '*.h' -o -name '*.cc' \) | sort)
done

[[ $bad -eq 0 ]] && echo "layering ok"
exit $bad
