#!/bin/sh
# gen_scan.sh: a bursty firewall stream as CSV for bin/scpdrive: blocked port
# scans as netfilter logs them (one LOG line per dropped SYN, hundreds a
# second from one source to one destination), with the DNS answers the
# scanners looked up first and a little background DNS.
#
#   sh bench/gen_scan.sh [EVENTS] [SEED] > scan.csv     (default 200000, 1)
#
# Shape: scans of 1,000 to 20,000 packets at 200 to 2,000 packets a second,
# each from one of 40 sources (10.30.0.x and a few outside addresses) to
# one of 300 destinations (192.0.2.x, 198.51.100.x, 203.0.113.x), ports
# walked upward from a random start, source port fixed per scan, all
# action=blocked (host fw01, sourcetype linux:netfilter).  Before each
# scan the source resolves the destination's name (a dnsmasq:transaction
# answer, host dns01); 1 in 50 packets is followed by an unrelated lookup.
# The scans follow each other, 30 s to 10 min apart, from 1699827200
# (2023-11-12 22:13:20 UTC) on; rows newest first.
# Columns: _time _raw host sourcetype src query answer src_ip dest_ip
# dest_port transport action.  Needs only awk.
set -eu
events=${1:-200000}
seed=${2:-1}
awk -v N="$events" -v SEED="$seed" '
function ip_src(k) { return k < 34 ? "10.30.0." (10 + k) : "100.64." (k % 7) "." (20 + k) }
function ip_dst(k) {
    if (k < 100) return "192.0.2." (k + 1)
    if (k < 200) return "198.51.100." (k - 99)
    return "203.0.113." (k - 199)
}
function name_of(k) { return "host" k ".scan-target.example" }
function q(s) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
function stamp(t,   z, era, doe, yoe, doy, mp, d, m, sec) {
    # syslog time (UTC) of epoch t, days to civil date as in bench/gen_stream.c
    sec = int(t); z = int(sec / 86400) + 719468; era = int(z / 146097)
    doe = z - era * 146097; yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100)); mp = int((5 * doy + 2) / 153)
    d = doy - int((153 * mp + 2) / 5) + 1; m = mp < 10 ? mp + 3 : mp - 9
    sec = sec % 86400
    return sprintf("%s %2d %02d:%02d:%02d", substr("JanFebMarAprMayJunJulAugSepOctNovDec", 3 * m - 2, 3),
                   d, int(sec / 3600), int(sec % 3600 / 60), sec % 60)
}
function dns(t, src, name, ip) {
    nl++
    rows[nl] = sprintf("%.3f", t) "," q(stamp(t) " dnsmasq[812]: " nl " " src "/5353 query[A] " \
        name " from " src "\n" stamp(t) " dnsmasq[812]: " nl " " src "/5353 reply " name " is " \
        ip) ",dns01,dnsmasq:transaction," src "," name "," ip ",,,,,"
}
function pkt(t, src, dst, spt, dpt) {
    nl++
    rows[nl] = sprintf("%.3f", t) "," q(stamp(t) " fw01 kernel: [UFW BLOCK] IN=eth0 OUT= " \
        "MAC=00:1b:21:3a:4f:10:00:50:56:a1:22:33:08:00 SRC=" src " DST=" dst \
        " LEN=44 TOS=0x00 PREC=0x00 TTL=49 ID=" (nl % 65536) " PROTO=TCP SPT=" spt \
        " DPT=" dpt " WINDOW=1024 RES=0x00 SYN URGP=0") ",fw01,linux:netfilter,,,," src "," \
        dst "," dpt ",tcp,blocked"
}
BEGIN {
    srand(SEED)
    t = 1700000000 - 2 * 86400
    nl = 0
    while (nl < N) {
        s = int(rand() * 40); d = int(rand() * 300)
        src = ip_src(s); dst = ip_dst(d)
        dns(t, src, name_of(d), dst)
        t += 0.5 + rand()
        len = 1000 + int(rand() * 19000); pps = 200 + int(rand() * 1800)
        port = 1 + int(rand() * 40000); spt = 40000 + int(rand() * 20000)
        for (i = 0; i < len && nl < N; i++) {
            pkt(t, src, dst, spt, (port + i) % 65535 + 1)
            t += 1 / pps
            if (rand() < 0.02 && nl < N) {
                b = int(rand() * 300)
                dns(t, "10.30.1." (1 + int(rand() * 200)), name_of(b), ip_dst(b))
            }
        }
        t += 30 + rand() * 600
    }
    print "_time,_raw,host,sourcetype,src,query,answer,src_ip,dest_ip,dest_port,transport,action"
    for (i = nl; i >= 1; i--)
        print rows[i]
}'
