#!/bin/sh
# Sinkhole answers make no join record, in every command.  $1: the folder
# holding dnsjoin and scpdrive.
#
# dnsjoin is copied into a throwaway app (<tmp>/TA-dnsjoin/bin/) whose
# lookups/dnsjoin_sinkholes.csv lists a block-page address, a range and one
# row that is no address; events.csv answers five names with 0.0.0.0, ::,
# that address, an address in the range and a real address, and sends one
# connection to each.  Only the real address may be joined, counted by
# dnstimechart, profiled as a DNS destination or stored by dnspdns.
set -u
bindir=$(cd "${1:-bin}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/dnsjoin_sinkhole_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
app=$tmp/TA-dnsjoin
mkdir -p "$app/bin" "$app/lookups"
cp "$bindir/dnsjoin" "$app/bin/dnsjoin"
runner=${DNSJOIN_RUNNER:-}
printf 'sinkhole,note\n192.0.2.66,block page\n198.51.100.0/24,a filter range\nnot-an-address,a bad row\n' \
    > "$app/lookups/dnsjoin_sinkholes.csv"
ev=$here/events.csv

drive() { # drive NAME SUBCOMMAND [scpdrive options...]
    n=$1 sub=$2
    shift 2
    "$bindir/scpdrive" --no-mv --splunkd-uri https://127.0.0.1:1 "$@" "$ev" -- \
        $runner "$app/bin/dnsjoin" "$sub" > "$tmp/$n.out" 2> "$tmp/$n.err"
    rc=$?
    [ $rc = 0 ] || bad "$n: exit $rc: $(head -3 "$tmp/$n.err")"
}
same() { # same NAME WANT...: the output is these lines
    n=$1
    shift
    want=$(printf '%s\n' "$@")
    got=$(cat "$tmp/$n.out")
    if [ "$got" = "$want" ]; then ok "$n"; else
        bad "$n: got"; sed 's/^/    /' "$tmp/$n.out"; fi
}

drive join join --fields dest_ip,dns_query,dns_match
same join "dest_ip,dns_query,dns_match" ",," ",," ",," ",," ",," \
    "0.0.0.0,,none" "::,,none" "192.0.2.66,,none" "198.51.100.7,,none" \
    "93.184.216.34,www.example.com,client"
grep -q "INFO dnsjoin: 4 answers were sinkholes" "$tmp/join.err" && ok "join: 4 sinkhole answers counted" ||
    bad "join: no INFO counting 4 sinkhole answers"
grep -q "WARN dnsjoin: 1 rows of lookups/dnsjoin_sinkholes.csv" "$tmp/join.err" &&
    ok "join: WARN for the row that is no address" || bad "join: no WARN for the bad row"

# The summary names the add-on's version (app.conf), which the setup page shows.
ver=$(sed -n 's/^version *= *//p' "$here/../../default/app.conf" | head -n 1)
grep -q "INFO dnsjoin $ver: " "$tmp/join.err" && ok "join: the summary names version $ver" ||
    bad "join: no 'dnsjoin $ver:' in the summary"

for d in ads.example.com ads6.example.com page.example.com range.example.com; do
    drive "timechart_$d" timechart --args "domain=$d"
    same "timechart_$d" "_time,_span,dnsmasq" "1699999200,3600,1"
done
drive timechart_www timechart --args "domain=www.example.com"
same timechart_www "_time,_span,dnsmasq,fw" "1699999200,3600,1,1"

drive profile profile --fields src,dns_query,dest_ip,lookups,connections
same profile "src,dns_query,dest_ip,lookups,connections" "10.0.0.5,,0.0.0.0,0,1" \
    "10.0.0.5,,192.0.2.66,0,1" "10.0.0.5,,198.51.100.7,0,1" "10.0.0.5,,::,0,1" \
    "10.0.0.5,www.example.com,93.184.216.34,1,1"

# No KV store here: dnspdns says so and returns the records it would store.
drive pdns pdns --fields rrname,rdata,status
same pdns "rrname,rdata,status" "www.example.com,93.184.216.34,not_saved"
grep -q "INFO dnspdns: 4 answers were sinkholes" "$tmp/pdns.err" && ok "pdns: 4 sinkhole answers counted" ||
    bad "pdns: no INFO counting 4 sinkhole answers"

# Without the file only 0.0.0.0 and :: are sinkholes, silently.
rm "$app/lookups/dnsjoin_sinkholes.csv"
drive nofile join --fields dest_ip,dns_match
same nofile "dest_ip,dns_match" "," "," "," "," "," "0.0.0.0,none" "::,none" \
    "192.0.2.66,client" "198.51.100.7,client" "93.184.216.34,client"
grep -q WARN "$tmp/nofile.err" && bad "nofile: a WARN without the file" || ok "nofile: no WARN"
# A file without the column: a WARN, and the built-in pair.
printf 'address\n192.0.2.66\n' > "$app/lookups/dnsjoin_sinkholes.csv"
drive nocol join --fields dest_ip,dns_match
grep -q "WARN dnsjoin: .*expected a column named sinkhole" "$tmp/nocol.err" &&
    ok "nocol: WARN naming the missing column" || bad "nocol: no WARN"
grep -q "^0.0.0.0,none" "$tmp/nocol.out" && grep -q "^192.0.2.66,client" "$tmp/nocol.out" &&
    ok "nocol: the built-in pair only" || bad "nocol: wrong rows"
# The admin's site file wins over the shipped one, and a WARN names it.
printf 'sinkhole\n192.0.2.66\nbogus\n' > "$app/lookups/dnsjoin_sinkholes_site.csv"
drive site join --fields dest_ip,dns_match
grep -q "WARN dnsjoin: 1 rows of lookups/dnsjoin_sinkholes_site.csv" "$tmp/site.err" &&
    ok "site: WARN naming the site file" || bad "site: no WARN naming dnsjoin_sinkholes_site.csv"
grep -q "^192.0.2.66,none" "$tmp/site.out" && ok "site: its address is a sinkhole" ||
    bad "site: 192.0.2.66 not a sinkhole"
exit $fail
