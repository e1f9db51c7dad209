#!/usr/bin/env bash
# Checks the Debian package: contents, maintainer scripts, conffiles, the hardened unit
# (systemd-analyze verify on an unpacked root) and that the packaged binary finds its files.
set -euo pipefail
deb=${1:?usage: check_package.sh FILE.deb}
work=$(mktemp -d /tmp/vd-pkg.XXXXXX)
trap 'rm -rf "$work"' EXIT
contents=$(dpkg-deb -c "$deb")
fail=0
need() { grep -q "$1" <<<"$contents" || { echo "package lacks $1"; fail=1; }; }
need '\./usr/bin/vertrouwd$'
need '\./usr/lib/systemd/system/vertrouwd.service$'
need '\./etc/vertrouwd/config.toml$'
need '\./usr/share/vertrouwd/templates/layout.mustache$'
need '\./usr/share/vertrouwd/static/style.css$'
need '\./usr/share/vertrouwd/locale/nl/LC_MESSAGES/vertrouwd.mo$'
need '\./usr/share/doc/vertrouwd/vertrouwd.conf$'
need '\./usr/share/doc/vertrouwd/vertrouwd-site.conf$'
need '\./usr/share/doc/vertrouwd/vertrouwd-proxy.conf$'
need '\./usr/share/doc/vertrouwd/torrc.example$'
need '\./usr/share/doc/vertrouwd/operations.md$'
if grep -q '\./var/lib/vertrouwd/.' <<<"$contents"; then echo "package ships data"; fail=1; fi
# Every installation makes its own pepper (postinst); a shipped one would be everyone's.
if grep -qi 'pepper' <<<"$contents"; then echo "package ships a pepper file"; fail=1; fi
dpkg-deb -e "$deb" "$work/control"
grep -qx '/etc/vertrouwd/config.toml' "$work/control/conffiles" || { echo "config is not a conffile"; fail=1; }
grep -q 'adduser --system' "$work/control/postinst" || { echo "postinst makes no system user"; fail=1; }
grep -q 'chmod 0600 "$pepper"' "$work/control/postinst" || { echo "postinst makes no private pepper"; fail=1; }
dpkg-deb -x "$deb" "$work/root"
unit="$work/root/usr/lib/systemd/system/vertrouwd.service"
for directive in 'User=vertrouwd' 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'PrivateTmp=yes' \
                 'ReadWritePaths=/var/lib/vertrouwd'; do
  grep -qx "$directive" "$unit" || { echo "unit lacks $directive"; fail=1; }
done
# systemd-analyze needs the rest of systemd's units beside ours in the alternate root.
mkdir -p "$work/root/lib/systemd/system"
cp -a /lib/systemd/system/. "$work/root/lib/systemd/system/"
cp "$unit" "$work/root/lib/systemd/system/"
systemd-analyze verify --root="$work/root" vertrouwd.service || { echo "systemd-analyze verify failed"; fail=1; }
exposure=$(systemd-analyze security --offline=true --root="$work/root" vertrouwd.service 2>/dev/null | tail -n 1)
echo "$exposure"
# The packaged binary, pointed at the unpacked share folder, loads templates and catalogs.
cat >"$work/check.toml" <<TOML
[server]
metrics_listen = ""
[storage]
data_dir = "$work/data"
[site]
templates_dir = "$work/root/usr/share/vertrouwd/templates"
static_dir = "$work/root/usr/share/vertrouwd/static"
locale_dir = "$work/root/usr/share/vertrouwd/locale"
help_dir = "$work/root/usr/share/vertrouwd/data/help"
TOML
"$work/root/usr/bin/vertrouwd" --config "$work/check.toml" pepper >/dev/null || { echo "packaged binary cannot make a pepper"; fail=1; }
"$work/root/usr/bin/vertrouwd" --config "$work/check.toml" migrate >/dev/null || { echo "packaged binary cannot start"; fail=1; }
"$work/root/usr/bin/vertrouwd" version
[[ $fail -eq 0 ]] && echo "package ok"
exit $fail
