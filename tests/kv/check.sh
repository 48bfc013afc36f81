#!/bin/sh
# dnspdns and history= (dnsjoin's matches, dnsprofile's name_first_seen and
# new_name) against a splunkd KV store stand-in (kvstub.py).
# $1: directory holding dnsjoin and scpdrive.
#
# The binary is copied into a throwaway app directory (<tmp>/apps/TA-dnsjoin/
# bin/dnsjoin) so that it reads that app's default/dnsjoin.conf, as it does
# inside Splunk: the CA file, timeouts and batch sizes below are the test's.
#
# TLS: a CA made here with the openssl command line signs
#   good.pem     SAN IP:127.0.0.1, IP:0.0.0.0
#   wrong.pem    SAN DNS:splunkd.invalid only (a wrong host name)
#   expired.pem  as good.pem, valid for one day in 2020 only
# and a second CA signs other.pem (a certificate the client must not trust).
# The host name check is tested without /etc/hosts tricks: on Linux a TCP
# connection to 0.0.0.0 reaches the local host, while 0.0.0.0 is not a
# loopback address for dnsjoin (127.0.0.0/8, ::1, localhost), so the URI
# https://0.0.0.0:<port> gets the full host name check.  good.pem names
# 0.0.0.0 (accepted: proves the path works), wrong.pem does not (rejected).
#
# DNSJOIN_RUNNER (optional) runs the binary, e.g. qemu-aarch64-static for
# the aarch64 release build; the binary itself still sits in the app's bin/.
set -u
bindir=$(cd "${1:-bin}" && pwd)
runner=${DNSJOIN_RUNNER:-}
here=$(cd "$(dirname "$0")" && pwd)
for tool in python3 openssl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 0
    fi
done
tmp=$(mktemp -d /tmp/dnsjoin_kv_test.XXXXXX)
fail=0
srvpid=""
cleanup() {
    [ -n "$srvpid" ] && kill "$srvpid" 2>/dev/null && wait "$srvpid" 2>/dev/null
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# ---- certificates --------------------------------------------------------
mkcert() { # name ca san
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$tmp/$1.key" -out "$tmp/$1.csr" -subj "/CN=$1" 2>/dev/null &&
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$3" >"$tmp/$1.ext" &&
    openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$2.pem" -CAkey "$tmp/$2.key" \
        -CAcreateserial -days 2 -out "$tmp/$1.pem" -extfile "$tmp/$1.ext" 2>/dev/null
}
for ca in ca otherca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$tmp/$ca.key" -out "$tmp/$ca.pem" -days 2 -subj "/CN=dnsjoin test $ca" \
        2>/dev/null || { bad "openssl could not make a CA"; exit 1; }
done
mkcert good ca "IP:127.0.0.1,IP:0.0.0.0" && mkcert wrong ca "DNS:splunkd.invalid" &&
    mkcert other otherca "IP:127.0.0.1,IP:0.0.0.0" || { bad "openssl could not sign"; exit 1; }
# `openssl x509 -req` cannot date a certificate in the past; `openssl ca` can.
mkdir -p "$tmp/cadb" && : >"$tmp/cadb/index.txt" && echo 1000 >"$tmp/cadb/serial"
cat >"$tmp/cadb/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $tmp/cadb/index.txt
new_certs_dir = $tmp/cadb
serial = $tmp/cadb/serial
default_md = sha256
policy = any
[any]
commonName = supplied
CNF
openssl req -new -key "$tmp/good.key" -out "$tmp/expired.csr" -subj "/CN=expired" 2>/dev/null &&
    cp "$tmp/good.key" "$tmp/expired.key" &&
    openssl ca -batch -notext -config "$tmp/cadb/ca.cnf" -cert "$tmp/ca.pem" -keyfile "$tmp/ca.key" \
        -in "$tmp/expired.csr" -out "$tmp/expired.pem" -extfile "$tmp/good.ext" \
        -startdate 20200101000000Z -enddate 20200102000000Z 2>/dev/null ||
    { bad "openssl could not sign an expired certificate"; exit 1; }

# ---- the app -------------------------------------------------------------
app=$tmp/apps/TA-dnsjoin
mkdir -p "$app/bin" "$app/default"
cp "$bindir/dnsjoin" "$app/bin/dnsjoin"
scpdrive=$bindir/scpdrive
KEY="kvtest-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$KEY" >"$tmp/key"
printf 'wrong-key\n' >"$tmp/badkey"

conf() { # conf [extra lines...]: write the app's default/dnsjoin.conf
    {
        echo "[kvstore]"
        echo "ca_file = $tmp/ca.pem"
        echo "connect_timeout = 2"
        echo "timeout = 3"
        echo "retries = 2"
        echo "batch_documents = 1000"
        for l in "$@"; do echo "$l"; done
    } >"$app/default/dnsjoin.conf"
}
conf

# ---- the stand-in --------------------------------------------------------
# start CERT [extra args]: (re)start kvstub with that certificate.
start() {
    stop
    cert=$1
    shift
    rm -f "$tmp/port"
    : >"$tmp/fault"
    python3 "$here/kvstub.py" --cert "$tmp/$cert.pem" --keyfile "$tmp/$cert.key" \
        --port-file "$tmp/port" --session-key-file "$tmp/key" --db "$tmp/db.json" \
        --log "$tmp/requests.log" --fault-file "$tmp/fault" --bind 0.0.0.0 "$@" \
        2>>"$tmp/stub.err" &
    srvpid=$!
    i=0
    while [ ! -s "$tmp/port" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
    port=$(cat "$tmp/port" 2>/dev/null)
    [ -n "$port" ] || { bad "kvstub did not start"; cat "$tmp/stub.err"; exit 1; }
    uri="https://127.0.0.1:$port"
}
stop() {
    if [ -n "$srvpid" ]; then
        kill "$srvpid" 2>/dev/null
        wait "$srvpid" 2>/dev/null
        srvpid=""
    fi
}
fault() { printf '%s\n' "$*" >"$tmp/fault"; }
reset_db() { stop; rm -f "$tmp/db.json" "$tmp/requests.log"; }

# run NAME ARGS INPUT [URI] [KEYFILE] [SUBCOMMAND]: run a command through
# scpdrive; output in $tmp/NAME.out, stderr in $tmp/NAME.err, status in $rc.
run() {
    name=$1 args=$2 input=$3
    ruri=${4:-$uri}
    kf=${5:-$tmp/key}
    sub=${6:-pdns}
    start_s=$(date +%s)
    "$scpdrive" --timeout 60 --args "$args" --splunkd-uri "$ruri" --session-key-file "$kf" \
        "$input" -- $runner "$app/bin/dnsjoin" "$sub" >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    elapsed=$(($(date +%s) - start_s))
    # The key must never appear in what the command writes.
    if grep -qF "$KEY" "$tmp/$name.out" "$tmp/$name.err"; then
        bad "$name: the session key appears in the output or stderr"
    fi
}

# col NAME FIELD: the values of one column of $tmp/NAME.out, one a line.
col() {
    python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
for r in rows: print(r.get(sys.argv[2], ""))' "$tmp/$1.out" "$2"
}
# rows NAME: data rows in $tmp/NAME.out
rows() { python3 -c '
import csv, sys
print(len(list(csv.DictReader(open(sys.argv[1], newline="")))))' "$tmp/$1.out"; }

# expect NAME FIELD VALUES...: the column equals these lines.
expect() {
    name=$1 field=$2
    shift 2
    want=$(printf '%s\n' "$@")
    got=$(col "$name" "$field")
    if [ "$got" = "$want" ]; then ok "$name: $field"; else
        bad "$name: $field is [$(echo "$got" | tr '\n' ' ')] want [$(echo "$want" | tr '\n' ' ')]"
    fi
}
# warned NAME PATTERN: a WARN inspector message matching PATTERN was shown.
warned() {
    if grep -q "scpdrive: WARN .*$2" "$tmp/$1.err"; then ok "$1: WARN $2"; else
        bad "$1: no WARN matching '$2'"; sed 's/^/    /' "$tmp/$1.err"; fi
}
quick() { # quick NAME SECONDS: the run ended within SECONDS
    if [ "$elapsed" -le "$2" ]; then ok "$1: ended in ${elapsed}s"; else
        bad "$1: took ${elapsed}s (limit $2)"; fi
}
status_is() { if [ "$rc" -eq "$2" ]; then ok "$1: exit $rc"; else
    bad "$1: exit $rc, want $2"; sed 's/^/    /' "$tmp/$1.err"; fi; }

# ---- data ------------------------------------------------------------------
# DNS events: a name with upper case and a trailing dot, a multivalue answer
# with a CNAME target and an IPv6 address, an NXDOMAIN, a non-DNS row.
cat >"$tmp/dns1.csv" <<'CSV'
_time,query,answer,src,__mv_answer,dest_ip
1700000000.5,www.Example.com.,93.184.216.34,10.0.0.5,,
1700000100,www.example.com,"93.184.216.34
cname.example.net
2606:2800:220:1:248:1893:25c8:1946",10.0.0.6,$93.184.216.34$;$cname.example.net$;$2606:2800:220:1:248:1893:25c8:1946$,
1700000050,other.org,93.184.216.34,10.0.0.7,,
1700000200,nx.example.com,NXDOMAIN,10.0.0.5,,
1700000300,,,10.0.0.5,,93.184.216.34
CSV
# A second period: earlier and later answers, one new record.
cat >"$tmp/dns2.csv" <<'CSV'
_time,query,answer,src
1699999000,www.example.com,93.184.216.34,10.0.0.8
1700005000,www.example.com,93.184.216.34,10.0.0.9
1700005000,new.example.com,::ffff:10.1.2.3,10.0.0.9
CSV

# ---- 1. merge rules --------------------------------------------------------
reset_db
start good
run m1 "" "$tmp/dns1.csv"
status_is m1 0
expect m1 rrname other.org www.example.com www.example.com
expect m1 rrtype A A AAAA
expect m1 time_first 1700000050 1700000000 1700000100
expect m1 count 1 2 1
expect m1 last_client 10.0.0.7 10.0.0.6 10.0.0.6
expect m1 status inserted inserted inserted
run m2 "" "$tmp/dns2.csv"
expect m2 rrname new.example.com www.example.com
expect m2 rdata 10.1.2.3 93.184.216.34
expect m2 time_first 1700005000 1699999000
expect m2 time_last 1700005000 1700005000
expect m2 count 1 4
expect m2 last_client 10.0.0.9 10.0.0.9
expect m2 status inserted updated
# The stored documents after both runs (the KV store's own view).
if python3 - "$tmp/db.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["dnsjoin_pdns"]
w = d["www.example.com|A|93.184.216.34"]
assert (w["time_first"], w["time_last"], w["count"], w["last_client"]) == \
    (1699999000, 1700005000, 4, "10.0.0.9"), w
assert d["other.org|A|93.184.216.34"]["count"] == 1
assert len(d) == 4, sorted(d)
PY
then ok "merge: stored documents"; else bad "merge: stored documents"; fi

# ---- 2. batching past the per-request limit -------------------------------
# 2,500 records, the stand-in refusing batches over 1,000 documents and
# cutting query results at 1,000 rows; batch_documents = 1000.
python3 - "$tmp/many.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("_time,query,answer,src\n")
    for i in range(2500):
        # 600 names share one address: its stored records span pages
        ip = "198.51.100.7" if i < 1200 else "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)
        f.write("%d,host%d.example,%s,10.9.9.9\n" % (1700000000 + i, i, ip))
PY
reset_db
start good --max-batch 1000 --max-rows 1000
run b1 "" "$tmp/many.csv"
status_is b1 0
n=$(col b1 status | grep -c '^inserted$')
[ "$n" = 2500 ] && ok "batch: 2500 inserted" || bad "batch: $n inserted"
saves=$(grep -c batch_save "$tmp/requests.log")
maxdocs=$(python3 -c '
import json,sys
print(max(json.loads(l).get("docs",0) for l in open(sys.argv[1])))' "$tmp/requests.log")
[ "$saves" = 3 ] && [ "$maxdocs" -le 1000 ] && ok "batch: 3 batch_save requests of <= 1000" ||
    bad "batch: $saves batch_save requests, largest $maxdocs"
run b2 "" "$tmp/many.csv"
n=$(col b2 status | grep -c '^updated$')
c=$(col b2 count | sort -u | tr '\n' ' ')
[ "$n" = 2500 ] && [ "$c" = "2 " ] && ok "batch: second run finds every stored record (paged)" ||
    bad "batch: second run: $n updated, counts $c"
pages=$(python3 -c '
import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("params",{}).get("skip") not in (None,"0")))' \
    "$tmp/requests.log")
[ "$pages" -ge 1 ] && ok "batch: query paged with skip ($pages later pages)" ||
    bad "batch: no paging"

# ---- 3. history= -------------------------------------------------------------
# Stored: www.example.com and other.org -> 93.184.216.34, www.example.com
# AAAA, new.example.com -> 10.1.2.3.  Network events far outside any window.
reset_db
start good
run h0 "" "$tmp/dns1.csv"
run h0b "" "$tmp/dns2.csv"
cat >"$tmp/net.csv" <<'CSV'
_time,src_ip,dest_ip,query,answer,src
1700090000,10.0.0.9,93.184.216.34,,,
1700090000,10.0.0.9,2606:2800:220:1:248:1893:25c8:1946,,,
1700089990,,,fresh.example,1.1.1.1,10.0.0.9
1700090000,10.0.0.9,1.1.1.1,,,
1700004000,10.0.0.9,93.184.216.34,,,
1700004000,10.0.0.9,::ffff:10.1.2.3,,,
1700999999,10.0.0.9,93.184.216.34,,,
1700000000,10.0.0.9,203.0.113.1,,,
1699990000,10.0.0.9,93.184.216.34,,,
CSV
run h1 "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
status_is h1 0
# row 1: latest time_last first (www 1700005000 beats other.org 1700000050)
# row 2: the AAAA record; row 4: an in-window answer beats history;
# row 5: t inside the record's span: dns_time is time_first;
# row 6: ::ffff: form meets the stored 10.1.2.3 only if t >= time_first - skew;
# row 7: older than history_window (7d); row 8: nothing stored;
# row 9: before time_first
expect h1 dns_match history history "" client history none none none none
expect h1 dns_query www.example.com www.example.com "" fresh.example www.example.com "" "" "" ""
expect h1 dns_time 1700005000 1700000100 "" 1700089990 1699999000 "" "" "" ""
expect h1 dns_client 10.0.0.9 10.0.0.6 "" 10.0.0.9 10.0.0.9 "" "" "" ""
gets=$(grep -c '"GET"' "$tmp/requests.log")
run h2 "history=dnsjoin_pdns history_window=30d" "$tmp/net.csv" "" "" join
expect h2 dns_match history history "" client history none history none none
gets2=$(grep -c '"GET"' "$tmp/requests.log")
[ $((gets2 - gets)) -eq 1 ] && ok "history: one batched request for the whole search" ||
    bad "history: $((gets2 - gets)) requests"
# $in refused (its support is not documented): the documented $or is used.
start good --no-in
run h3 "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
expect h3 dns_match history history "" client history none none none none
grep -q '"\$or' "$tmp/requests.log" && ok "history: falls back to \$or" || bad "history: no \$or"

# ---- 4. faults: every event still returned, a WARN, no hang ---------------
# timeout = 3, connect_timeout = 2, retries = 2 (conf above).
nrows=$(rows h1)
fault_case() { # name, fault line, expected WARN pattern, [sub]
    fault "$2"
    run "$1" "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
    status_is "$1" 0
    [ "$(rows "$1")" = "$nrows" ] && ok "$1: every event returned" || bad "$1: rows $(rows "$1")"
    warned "$1" "$3"
    quick "$1" 12
    fault ""
}
start good
fault_case f401 "401 0" "HTTP 401"
fault_case f403 "403 0" "HTTP 403"
fault_case f404 "404 0" "HTTP 404 (no such collection"
fault_case f500 "500 0" "HTTP 500"
fault_case f503 "503 0" "HTTP 503 .*after retries"
fault_case fslow "slow 1 10" "timed out"
fault_case freset "reset 0" "connection reset"
fault_case fbad "badjson 1" "not a JSON array"
fault_case fobj "notarray 1" "not a JSON array"
# REST_RESPONSE_MAX: max_response_mb (at most REST_RESPONSE_MAX) bounds a
# response; past it the WARN names both and the join goes on.
conf "max_response_mb = 1"
fault_case fbig "big 1 1100000" "larger than 1048576 bytes; raise max_response_mb .*REST_RESPONSE_MAX"
conf "max_response_mb = 100000"
run fbigconf "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
warned fbigconf "max_response_mb must be 1 to [0-9]* (REST_RESPONSE_MAX"
conf
# 503 then success: retried with backoff, no WARN, matches as usual.
fault "503 2"
run f503ok "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
expect f503ok dns_match history history "" client history none none none none
grep -q "WARN" "$tmp/f503ok.err" && bad "f503ok: WARN after a successful retry" ||
    ok "f503ok: no WARN"
fault "reset 1"
run fresetok "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
expect fresetok dns_match history history "" client history none none none none
# A wrong session key: 401 from the stand-in's own check.
run fkey "history=dnsjoin_pdns" "$tmp/net.csv" "" "$tmp/badkey" join
warned fkey "HTTP 401"
# Unreachable: a port nothing listens on.
deadport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run funreach "history=dnsjoin_pdns" "$tmp/net.csv" "https://127.0.0.1:$deadport" "" join
warned funreach "unreachable"
quick funreach 5
[ "$(rows funreach)" = "$nrows" ] && ok "funreach: every event returned" || bad "funreach: rows"
# dnspdns under faults: summary rows with status not_saved, a WARN, nothing written.
fault "503 0"
run fpdns "" "$tmp/dns2.csv"
status_is fpdns 0
expect fpdns status not_saved not_saved
warned fpdns "could not read collection"
fault "slow 1 10"
run fpdns2 "" "$tmp/dns2.csv"
warned fpdns2 "timed out"
quick fpdns2 12
fault ""

# ---- 5. certificates ---------------------------------------------------------
start other
run c1 "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
warned c1 "TLS certificate rejected"
[ "$(rows c1)" = "$nrows" ] && ok "c1: every event returned" || bad "c1: rows"
start wrong
run c2 "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
expect c2 dns_match history history "" client history none none none none
grep -q WARN "$tmp/c2.err" && bad "c2: loopback URI with an unnamed host: WARN" ||
    ok "c2: loopback URI: the CA is checked, the host name is not"
run c3 "history=dnsjoin_pdns" "$tmp/net.csv" "https://0.0.0.0:$port" "" join
warned c3 "TLS certificate rejected"
start good
run c4 "history=dnsjoin_pdns" "$tmp/net.csv" "https://0.0.0.0:$port" "" join
expect c4 dns_match history history "" client history none none none none
# An expired certificate from the trusted CA: rejected on loopback too.
start expired
run c10 "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
warned c10 "TLS certificate rejected"
[ "$(rows c10)" = "$nrows" ] && ok "c10: every event returned" || bad "c10: rows"
grep -qi "TLS certificate rejected.*expired" "$tmp/c10.err" && ok "c10: the WARN says the certificate expired" ||
    bad "c10: the WARN does not say the certificate expired"
run c11 "" "$tmp/dns2.csv"
warned c11 "TLS certificate rejected"
expect c11 status not_saved not_saved
# verify = false: works against an untrusted certificate, with a WARN each run.
start other
conf "verify = false"
run c5 "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
expect c5 dns_match history history "" client history none none none none
warned c5 "verify = false"
run c6 "" "$tmp/dns2.csv"
warned c6 "verify = false"
conf
# The default CA file ($SPLUNK_HOME/etc/auth/cacert.pem) when ca_file is unset.
mkdir -p "$tmp/home/etc/auth"
cp "$tmp/ca.pem" "$tmp/home/etc/auth/cacert.pem"
start good
{ echo "[kvstore]"; echo "timeout = 3"; } >"$app/default/dnsjoin.conf"
SPLUNK_HOME=$tmp/home run c7 "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
expect c7 dns_match history history "" client history none none none none
run c8 "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
warned c8 "TLS certificate rejected"
# local/dnsjoin.conf overrides default/.
mkdir -p "$app/local"
printf '[kvstore]\nca_file = %s\n' "$tmp/ca.pem" >"$app/local/dnsjoin.conf"
run c9 "history=dnsjoin_pdns" "$tmp/net.csv" "" "" join
expect c9 dns_match history history "" client history none none none none
rm -rf "$app/local"
conf

# ---- 6. dnsprofile history=: name_first_seen and new_name ---------------------
# Stored by dnspdns (the earliest time_first of a name's records counts):
#   old.example     192.0.2.20 at T-40d, 192.0.2.10 at T-30d
#   fresh.example   192.0.2.11 at T-3h
#   mixed.example   stored from "Mixed.Example." at T-10d, searched as "MIXED.example."
#   late.example    stored at T+5000, but the search resolves it at T+400
# unstored.example is not stored: the search's first lookup (T+200) counts.
# Every expected value below is T plus a hand-computed offset.
T=1700000000
D=86400
cat >"$tmp/pfstore.csv" <<CSV
_time,query,answer,src
$((T - 40 * D)),old.example,192.0.2.20,10.0.0.1
$((T - 30 * D)),old.example,192.0.2.10,10.0.0.1
$((T - 3 * 3600)),fresh.example,192.0.2.11,10.0.0.1
$((T - 10 * D)),Mixed.Example.,192.0.2.12,10.0.0.1
$((T + 5000)),late.example,192.0.2.13,10.0.0.1
CSV
# The search: lookups, a connection of a client that never resolved the
# name (10.0.0.8: fresh.example through 10.0.0.5's answer) and a nodns one.
cat >"$tmp/pfsearch.csv" <<CSV
_time,query,answer,src,src_ip,dest_ip,dest_port,transport,action
$T,old.example,192.0.2.10,10.0.0.5,,,,,
$((T + 5)),,,,10.0.0.5,192.0.2.10,443,tcp,allowed
$((T + 100)),fresh.example,192.0.2.11,10.0.0.5,,,,,
$((T + 150)),,,,10.0.0.8,192.0.2.11,443,tcp,blocked
$((T + 200)),unstored.example,192.0.2.14,10.0.0.6,,,,,
$((T + 300)),MIXED.example.,192.0.2.12,10.0.0.5,,,,,
$((T + 400)),late.example,192.0.2.13,10.0.0.5,,,,,
$((T + 500)),,,,10.0.0.9,203.0.113.50,443,tcp,allowed
$((T + 7200)),unstored.example,192.0.2.14,10.0.0.7,,,,,
CSV
# Only lookups: the names request is the search's only KV request.
awk -F, '$2 != ""' "$tmp/pfsearch.csv" >"$tmp/pfdns.csv"
# names NAME: "src|dns_query|name_first_seen|new_name" per row, sorted.
names() { python3 -c '
import csv, sys
rows = csv.DictReader(open(sys.argv[1], newline=""))
for r in sorted("|".join(r.get(k, "?") for k in ("src", "dns_query", "name_first_seen", "new_name"))
                for r in rows):
    print(r)' "$tmp/$1.out"; }
# expect_names NAME LINES...: names NAME equals these lines (sorted here).
expect_names() {
    name=$1
    shift
    want=$(printf '%s\n' "$@" | LC_ALL=C sort)
    got=$(names "$name" | LC_ALL=C sort)
    if [ "$got" = "$want" ]; then ok "$name: name_first_seen and new_name"; else
        bad "$name: got"; echo "$got" | sed 's/^/    got  /'; echo "$want" | sed 's/^/    want /'; fi
}
# finding NAME SRC QUERY: the finding of that row.
finding() { python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["src"] == sys.argv[2] and r["dns_query"] == sys.argv[3]: print(r["finding"])' \
    "$tmp/$1.out" "$2" "$3"; }
has_finding() { # NAME SRC QUERY TEXT
    if finding "$1" "$2" "$3" | grep -qF "$4"; then ok "$1: $2 $3 finding says '$4'"; else
        bad "$1: $2 $3 finding: $(finding "$1" "$2" "$3")"; fi
}
no_new() { # NAME SRC QUERY
    if finding "$1" "$2" "$3" | grep -q "new name"; then bad "$1: $2 $3 finding calls it new"
    else ok "$1: $2 $3 finding does not call it new"; fi
}
names_gets() { python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    q = json.loads(l).get("params", {}).get("query", "")
    n += "rrname" in q
print(n)' "$tmp/requests.log"; }
reset_db
start good
run p0 "" "$tmp/pfstore.csv"
status_is p0 0
expect p0 rrname fresh.example late.example mixed.example old.example old.example
run p1 "history=dnsjoin_pdns window=1h" "$tmp/pfsearch.csv" "" "" profile
status_is p1 0
[ "$(rows p1)" = 8 ] && ok "p1: 8 rows" || bad "p1: $(rows p1) rows"
# new_within=1d: fresh.example 3h (+100 s, +150 s) after its first sighting,
# unstored.example 0 s and 7000 s, late.example 0 s (the search saw it first),
# mixed.example 10 days, old.example 40 days (its earlier record).
expect_names p1 \
    "10.0.0.5|old.example|$((T - 40 * D))|false" \
    "10.0.0.5|fresh.example|$((T - 3 * 3600))|true" \
    "10.0.0.8|fresh.example|$((T - 3 * 3600))|true" \
    "10.0.0.5|mixed.example|$((T - 10 * D))|false" \
    "10.0.0.5|late.example|$((T + 400))|true" \
    "10.0.0.6|unstored.example|$((T + 200))|true" \
    "10.0.0.7|unstored.example|$((T + 200))|true" \
    "10.0.0.9|||"
has_finding p1 10.0.0.5 fresh.example \
    "fresh.example is a new name: first seen 3 hours before this host's first lookup."
has_finding p1 10.0.0.8 fresh.example "first seen 3 hours before this host's first connection."
has_finding p1 10.0.0.6 unstored.example \
    "unstored.example is a new name: first seen with this host's first lookup, nothing earlier"
has_finding p1 10.0.0.7 unstored.example "first seen 117 minutes before this host's first lookup."
no_new p1 10.0.0.5 old.example
no_new p1 10.0.0.5 mixed.example
# (the throwaway app has no lookups/: the tunnel list's WARN is not ours)
grep -q "WARN history=" "$tmp/p1.err" && bad "p1: a history WARN" || ok "p1: no history WARN"
# One request for the names, with every distinct name of the rows once.
[ "$(names_gets)" = 1 ] && ok "p1: one request for the rows' names" ||
    bad "p1: $(names_gets) requests for names"
if python3 - "$tmp/requests.log" <<'PY'
import json, sys
qs = [json.loads(json.loads(l)["params"]["query"]) for l in open(sys.argv[1])
      if "rrname" in json.loads(l).get("params", {}).get("query", "")]
got = sorted(qs[0]["rrname"]["$in"])
assert got == ["fresh.example", "late.example", "mixed.example", "old.example",
               "unstored.example"], got
PY
then ok "p1: \$in lists the five names, normalised"; else bad "p1: the names request"; fi
# new_within=1h: 3 h and 7000 s are no longer new; 0 s still is.
run p2 "history=dnsjoin_pdns window=1h new_within=1h" "$tmp/pfsearch.csv" "" "" profile
expect_names p2 \
    "10.0.0.5|old.example|$((T - 40 * D))|false" \
    "10.0.0.5|fresh.example|$((T - 3 * 3600))|false" \
    "10.0.0.8|fresh.example|$((T - 3 * 3600))|false" \
    "10.0.0.5|mixed.example|$((T - 10 * D))|false" \
    "10.0.0.5|late.example|$((T + 400))|true" \
    "10.0.0.6|unstored.example|$((T + 200))|true" \
    "10.0.0.7|unstored.example|$((T + 200))|false" \
    "10.0.0.9|||"
no_new p2 10.0.0.5 fresh.example
# new_within=11d: mixed.example (10 days and 300 s) is new, old.example is not.
run p3 "history=dnsjoin_pdns window=1h new_within=11d" "$tmp/pfsearch.csv" "" "" profile
expect_names p3 \
    "10.0.0.5|old.example|$((T - 40 * D))|false" \
    "10.0.0.5|fresh.example|$((T - 3 * 3600))|true" \
    "10.0.0.8|fresh.example|$((T - 3 * 3600))|true" \
    "10.0.0.5|mixed.example|$((T - 10 * D))|true" \
    "10.0.0.5|late.example|$((T + 400))|true" \
    "10.0.0.6|unstored.example|$((T + 200))|true" \
    "10.0.0.7|unstored.example|$((T + 200))|true" \
    "10.0.0.9|||"
has_finding p3 10.0.0.5 mixed.example "first seen 10 days before this host's first lookup."
# Without history=: both columns empty.
run p4 "window=1h" "$tmp/pfsearch.csv" "" "" profile
expect_names p4 "10.0.0.5|old.example||" "10.0.0.5|fresh.example||" "10.0.0.8|fresh.example||" \
    "10.0.0.5|mixed.example||" "10.0.0.5|late.example||" "10.0.0.6|unstored.example||" \
    "10.0.0.7|unstored.example||" "10.0.0.9|||"
# "$in" refused: the same through "$or".
start good --no-in
run p5 "history=dnsjoin_pdns window=1h" "$tmp/pfsearch.csv" "" "" profile
[ "$(names p5)" = "$(names p1)" ] && ok "p5: \$or gives the same columns" || bad "p5: \$or differs"
# KV store failures: the search goes on, the columns are empty, one WARN.
start good
fault "503 0"
run p6 "history=dnsjoin_pdns window=1h" "$tmp/pfsearch.csv" "" "" profile
status_is p6 0
expect_names p6 "10.0.0.5|old.example||" "10.0.0.5|fresh.example||" "10.0.0.8|fresh.example||" \
    "10.0.0.5|mixed.example||" "10.0.0.5|late.example||" "10.0.0.6|unstored.example||" \
    "10.0.0.7|unstored.example||" "10.0.0.9|||"
warned p6 "HTTP 503 .*name_first_seen and new_name are empty"
n=$(grep -c "scpdrive: WARN history=" "$tmp/p6.err")
[ "$n" = 1 ] && ok "p6: one WARN" || bad "p6: $n WARNs"
quick p6 12
# Only the names request fails (lookups only: no address is asked for).
fault "500 1"
run p7 "history=dnsjoin_pdns window=1h" "$tmp/pfdns.csv" "" "" profile
status_is p7 0
expect_names p7 "10.0.0.5|old.example||" "10.0.0.5|fresh.example||" \
    "10.0.0.5|mixed.example||" "10.0.0.5|late.example||" "10.0.0.6|unstored.example||" \
    "10.0.0.7|unstored.example||"
warned p7 "lookup of names failed: .*HTTP 500.*name_first_seen and new_name are empty"
n=$(grep -c "scpdrive: WARN history=" "$tmp/p7.err")
[ "$n" = 1 ] && ok "p7: one WARN" || bad "p7: $n WARNs"
fault ""
run p8 "history=dnsjoin_pdns window=1h" "$tmp/pfsearch.csv" "https://127.0.0.1:$deadport" "" profile
status_is p8 0
[ "$(rows p8)" = 8 ] && ok "p8: unreachable: 8 rows" || bad "p8: rows $(rows p8)"
warned p8 "unreachable.*name_first_seen and new_name are empty"
quick p8 5

# More than HISTORY_NAMES_MAX (100000) distinct names: the first 100000
# in row order (connections descending, then src, dns_query) are asked
# for, the rest keep both columns empty, with a WARN.  100002 names, one
# lookup each from 10.0.0.5: zz.example also has a connection, so its row
# comes first; then n000000 .. n100000 by name, the last two cut.
cat >"$tmp/pcstore.csv" <<CSV
_time,query,answer,src
$((T - 40 * D)),zz.example,192.0.2.30,10.0.0.1
$((T - 30 * D)),n000000.x,192.0.2.31,10.0.0.1
$((T - 20 * D)),n099998.x,192.0.2.32,10.0.0.1
$((T - 10 * D)),n099999.x,192.0.2.33,10.0.0.1
CSV
awk -v t="$T" 'BEGIN {
    print "_time,query,answer,src,src_ip,dest_ip,dest_port,transport,action"
    printf "%d,zz.example,192.0.2.30,10.0.0.5,,,,,\n", t
    printf "%d,,,,10.0.0.5,192.0.2.30,443,tcp,allowed\n", t + 1
    for (i = 0; i <= 100000; i++)
        printf "%d,n%06d.x,198.18.%d.%d,10.0.0.5,,,,,\n", t + 2 + i % 3000, i, int(i / 250) % 256, i % 250
}' >"$tmp/pcsearch.csv"
reset_db
start good
run pc0 "" "$tmp/pcstore.csv"
status_is pc0 0
pc_start=$(date +%s)
run pc1 "history=dnsjoin_pdns window=1h" "$tmp/pcsearch.csv" "" "" profile
pc_time=$(($(date +%s) - pc_start))
status_is pc1 0
[ "$(rows pc1)" = 100002 ] && ok "pc1: 100002 rows" || bad "pc1: $(rows pc1) rows"
warned pc1 "dnsprofile: the rows have more than HISTORY_NAMES_MAX (100000) names"
# Stored names get their stored time, the others within the first 100000
# their lookup in the search; n099999 (stored) and n100000 none.
if python3 - "$tmp/pc1.out" "$T" <<'PY'
import csv, sys
t, d = int(sys.argv[2]), 86400
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
first = {r["dns_query"]: (r["name_first_seen"], r["new_name"]) for r in rows}
assert [r["dns_query"] for r in rows[:2]] == ["zz.example", "n000000.x"], rows[:2]
assert first["zz.example"] == (str(t - 40 * d), "false"), first["zz.example"]
assert first["n000000.x"] == (str(t - 30 * d), "false"), first["n000000.x"]
assert first["n099998.x"] == (str(t - 20 * d), "false"), first["n099998.x"]
for i in (1, 50000, 99997):
    n = "n%06d.x" % i
    assert first[n] == (str(t + 2 + i % 3000), "true"), (n, first[n])
assert first["n099999.x"] == ("", ""), first["n099999.x"]
assert first["n100000.x"] == ("", ""), first["n100000.x"]
assert sum(1 for v in first.values() if v[0]) == 100000
PY
then ok "pc1: name_first_seen for the first 100000 names, empty for the rest"; else
    bad "pc1: name_first_seen and new_name"; fi
# Every asked-for name once, n099999.x and n100000.x never.
if python3 - "$tmp/requests.log" <<'PY'
import json, sys
asked = []
for l in open(sys.argv[1]):
    q = json.loads(l).get("params", {}).get("query", "")
    if "rrname" in q and json.loads(l).get("params", {}).get("skip") in (None, "0"):
        asked += json.loads(q)["rrname"]["$in"]
assert len(asked) == len(set(asked)) == 100000, len(asked)
assert "n099999.x" not in asked and "n100000.x" not in asked
PY
then ok "pc1: 100000 names asked for, each once"; else bad "pc1: the names requests"; fi
[ "$pc_time" -le 30 ] && ok "pc1: ended in ${pc_time}s" || bad "pc1: took ${pc_time}s (limit 30)"

# ---- 7. the key --------------------------------------------------------------
# run() checks every output and stderr; the stand-in saw the right key.
grep -q '"key_ok": true' "$tmp/requests.log" && ok "key: sent as Authorization: Splunk" ||
    bad "key: never accepted"
grep -qF "$KEY" "$tmp/requests.log" "$tmp/stub.err" 2>/dev/null &&
    bad "key: in the stand-in's log (test bug)" || ok "key: not in any log or message"

stop
exit $fail
