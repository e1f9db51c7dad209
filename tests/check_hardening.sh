#!/usr/bin/env bash
# Checks that a built binary carries the release hardening: PIE, full RELRO (RELRO + BIND_NOW),
# a non-executable stack, the stack protector and (unless sanitized) FORTIFY_SOURCE.
set -euo pipefail
bin=${1:?usage: check_hardening.sh BINARY [--sanitized]}
sanitized=${2:-}
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "MISSING: $1"; fail=1; fi; }
hdr=$(readelf -h "$bin"); dyn=$(readelf -d "$bin"); seg=$(readelf -lW "$bin"); syms=$(readelf -sW --dyn-syms "$bin")
check "PIE (ELF type DYN)" 'grep -q "Type:.*DYN" <<<"$hdr"'
check "RELRO segment" 'grep -q GNU_RELRO <<<"$seg"'
check "BIND_NOW (full RELRO)" 'grep -qE "BIND_NOW|FLAGS_1.*NOW" <<<"$dyn"'
check "non-executable stack" 'grep -E "GNU_STACK" <<<"$seg" | grep -qv RWE'
check "stack protector" 'grep -q __stack_chk_fail <<<"$syms"'
if [[ "$sanitized" != "--sanitized" ]]; then
  check "FORTIFY_SOURCE (_chk functions)" 'grep -qE "__[a-z_]+_chk" <<<"$syms"'
fi
exit $fail
