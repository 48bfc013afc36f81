#!/bin/sh
# Lookups an admin edits survive an app upgrade.  $1: the folder holding
# dnsjoin and scpdrive.
#
# The package is installed into a throwaway etc/apps; the admin then adds
# the site lookups (README, "Lookups you edit") and a local/transforms.conf
# that points Splunk at one of them.  The same package is extracted over the
# installed app, as `splunk install app -update 1` and a deployment-server or
# deployer push do.  The site files and local/ must be untouched, the
# installed dnsjoin must keep honouring the site sinkhole file, and the
# package must never carry a file of those names.
set -u
bindir=$(cd "${1:-bin}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d /tmp/dnsjoin_upgrade_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

pkg=$(sh "$root/tests/app/package.sh" "$bindir" "$tmp/dist" 2>"$tmp/package.err" | tail -n 1)
if [ ! -f "$pkg" ]; then
    echo "FAIL package: $(tail -n 3 "$tmp/package.err")"
    exit 1
fi
tar -tzf "$pkg" > "$tmp/list"
if grep -E '_site\.csv$|/local/|\.csv\.default$' "$tmp/list"; then
    bad "package: ships a site lookup or local/ (listed above)"
else
    ok "package: no site lookup, no local/"
fi
grep -q '^deployer_lookups_push_mode[ \t]*=[ \t]*preserve_lookups' "$root/default/app.conf" &&
    ok "app.conf: a deployer push preserves lookups" ||
    bad "app.conf: no deployer_lookups_push_mode = preserve_lookups"

apps=$tmp/etc/apps
mkdir -p "$apps"
tar -xzf "$pkg" -C "$apps"
app=$apps/TA-dnsjoin
dnsjoin=$(find "$app" -path '*/bin/dnsjoin' -type f | head -n 1)
[ -x "$dnsjoin" ] || { echo "FAIL install: no bin/dnsjoin in the package"; exit 1; }

# The admin's edits: a block-page address, a site prefix, and the lookup
# definition pointed at the site file the way Splunk Web's "Lookup
# definitions" page writes it.
cp "$app/lookups/dnsjoin_sinkholes.csv" "$app/lookups/dnsjoin_sinkholes_site.csv"
printf '192.0.2.66,block page\n' >> "$app/lookups/dnsjoin_sinkholes_site.csv"
cp "$app/lookups/dnsjoin_netfilter_actions.csv" "$app/lookups/dnsjoin_netfilter_actions_site.csv"
printf 'SITE-DROP*,blocked\n' >> "$app/lookups/dnsjoin_netfilter_actions_site.csv"
mkdir -p "$app/local"
printf '[dnsjoin_netfilter_actions]\nfilename = dnsjoin_netfilter_actions_site.csv\n\n[dnsjoin_sinkholes]\nfilename = dnsjoin_sinkholes_site.csv\n' \
    > "$app/local/transforms.conf"
(cd "$app" && cat lookups/dnsjoin_sinkholes_site.csv lookups/dnsjoin_netfilter_actions_site.csv \
    local/transforms.conf) > "$tmp/before"

join_match() { # the dns_match column of dnsjoin over the sinkhole events
    "$bindir/scpdrive" --no-mv --splunkd-uri https://127.0.0.1:1 \
        --fields dest_ip,dns_match "$root/tests/sinkhole/events.csv" -- \
        ${DNSJOIN_RUNNER:-} "$dnsjoin" join 2> "$tmp/join.err" | grep '^192\.0\.2\.66,'
}
got=$(join_match)
[ "$got" = "192.0.2.66,none" ] && ok "installed: the site sinkhole is honoured" ||
    bad "installed: 192.0.2.66 gave '$got', want none ($(head -n 2 "$tmp/join.err"))"

# The upgrade: the package extracted over the installed app.
tar -xzf "$pkg" -C "$apps"
(cd "$app" && cat lookups/dnsjoin_sinkholes_site.csv lookups/dnsjoin_netfilter_actions_site.csv \
    local/transforms.conf) > "$tmp/after" 2>/dev/null
cmp -s "$tmp/before" "$tmp/after" && ok "upgrade: site lookups and local/transforms.conf unchanged" ||
    bad "upgrade: the admin's files changed"
got=$(join_match)
[ "$got" = "192.0.2.66,none" ] && ok "upgrade: the site sinkhole is still honoured" ||
    bad "upgrade: 192.0.2.66 gave '$got', want none"

# Without the site file the shipped (empty) list applies again.
rm "$app/lookups/dnsjoin_sinkholes_site.csv"
got=$(join_match)
[ "$got" = "192.0.2.66,client" ] && ok "no site file: the shipped list applies" ||
    bad "no site file: 192.0.2.66 gave '$got', want client"

exit $fail
