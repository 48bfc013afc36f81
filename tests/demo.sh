#!/bin/sh
# make demo: the story this add-on was written for, end to end without Splunk.
# A week of generated DNS, firewall and proxy events (bench/gen_story.c) goes
# through bin/scpdrive (a splunkd stand-in) into bin/dnsjoin, newest first as
# Splunk hands them over, and the result is summarised as an analyst reads it.
set -eu
bin=${1:-bin}
out=build/demo
mkdir -p "$out"

cc -std=c11 -O2 -o "$out/gen_story" bench/gen_story.c
"$out/gen_story" --truth "$out/story.truth" > "$out/story.csv"
truth() { sed -n "s/^$1=//p" "$out/story.truth"; }
host=$(truth host)
domain=$(truth domain)
events=$(truth events)

# UTC text for an epoch, in awk (no strftime in every awk).
utc='function utc(t,   d,s,z,era,doe,yoe,y,doy,mp,dd,m) {
    d = int(t / 86400); s = t - d * 86400; z = d + 719468
    era = int(z / 146097); doe = z - era * 146097
    yoe = int((doe - int(doe/1460) + int(doe/36524) - int(doe/146096)) / 365)
    y = yoe + era * 400; doy = doe - (365*yoe + int(yoe/4) - int(yoe/100))
    mp = int((5*doy + 2) / 153); dd = doy - int((153*mp + 2)/5) + 1
    m = mp < 10 ? mp + 3 : mp - 9; if (m <= 2) y++
    return sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, m, dd, int(s/3600), int(s%3600/60), s%60)
}'

echo "== The story"
echo "A Windows host, $host, keeps sending packets that die at the firewall."
echo "Which name did it look up before each one? $events events over 7 days go"
echo "through:  | dnsjoin window=1h"
echo

"$bin/scpdrive" --order desc --args 'window=1h' --no-mv \
    --fields _time,sourcetype,src_ip,dest_ip,dest_port,transport,action,dns_query,dns_match,dns_age,tunnel,query,src \
    "$out/story.csv" -- "$bin/dnsjoin" join > "$out/joined.csv" 2> "$out/joined.log"
sed -n 's/^scpdrive: INFO /  /p' "$out/joined.log"
echo

echo "== Firewall events of $host, newest first (first 8 of them)"
awk -F, -v host="$host" "$utc"'
    NR == 1 { next }
    $2 == "linux:netfilter" && $3 == host && n < 8 {
        how = $9 == "none" ? "dns_match=none" : sprintf("dns_match=%s, answered %ss before", $9, $10)
        printf "  %s  %s -> %s:%s/%s %-7s dns_query=%s (%s) tunnel=%s\n",
               utc(int($1)), $3, $4, $5, $6, $7, ($8 == "" ? "-" : $8), how,
               ($11 == "" ? "-" : $11)
        n++
    }' "$out/joined.csv"
echo

echo "== What the join found for $host"
awk -F, -v host="$host" -v domain="$domain" '
    NR == 1 { next }
    $13 == host && $12 == domain { lookups++ }
    $2 == "linux:netfilter" && $3 == host {
        fw++
        if ($7 == "blocked") blocked++
        key = $4 " " ($8 == "" ? "(no DNS answer)" : $8) " dns_match=" $9
        per[key]++
    }
    END {
        printf "  DNS lookups of %s by %s: %d\n", domain, host, lookups
        printf "  firewall events from %s: %d, blocked: %d, of which:\n", host, fw, blocked
        for (k in per) printf "    %6d  to %s\n", per[k], k | "sort -rn"
        close("sort -rn")
        if (lookups > 0)
            printf "  packets per lookup to the answered address: %.1f\n", per["65.55.158.118 " domain " dns_match=client"] / lookups
    }' "$out/joined.csv"
echo "  (the generator says: $(truth lookups) lookups, $(truth packets_primary) packets to $(truth primary),"
echo "   $(truth packets_secondary) to $(truth secondary), which no DNS answer ever named)"
echo

echo "== Around the local resolver: | dnsjoin window=1h | search bypass=*"
"$bin/scpdrive" --order desc --no-mv --args 'window=1h' \
    --fields src_ip,dest_ip,dest_port,action,bypass,bypass_provider,dns_query \
    "$out/story.csv" -- "$bin/dnsjoin" join 2>/dev/null |
    awk -F, 'NR > 1 && $5 != "" {
        k = sprintf("%s -> %s:%s %s, bypass=%s (%s), dns_query=%s", $1, $2, $3, $4, $5, $6,
                    $7 == "" ? "-" : $7)
        c[k]++ }
        END { for (k in c) printf "  %6d  %s\n", c[k], k }' | sort -rn
echo "  (the generator says: $(truth doh_connections) DoH connections from $(truth doh_host),"
echo "   $(truth dot_connections) DoT connections from $(truth dot_host) after resolving $(truth dot_name))"
echo

# The reporting commands, when built: the story's chart and verdict.
if "$bin/scpdrive" --getinfo-only --quiet -- "$bin/dnsjoin" timechart >/dev/null 2>&1; then
    echo "== | dnstimechart span=1h limit=0 domain=$domain   (first 12 hours)"
    "$bin/scpdrive" --order desc --no-mv --args "span=1h limit=0 domain=$domain" \
        "$out/story.csv" -- "$bin/dnsjoin" timechart > "$out/chart.csv" 2>/dev/null
    head -n 13 "$out/chart.csv" | awk -F, "$utc"'NR == 1 { print "  " $0; next } { $1 = utc($1); OFS = ","; print "  " $0 }'
    echo
    echo "== The same, per series, on a log scale (one row per 6 hours, # = x2)"
    awk -F, "$utc"'
        NR == 1 { for (i = 3; i <= NF; i++) name[i] = $i; n = NF; next }
        { b = int((NR - 2) / 6); t[b] = $1; for (i = 3; i <= n; i++) sum[b, i] += $i; nb = b + 1 }
        END {
            for (b = 0; b < nb; b++) {
                line = sprintf("  %s", substr(utc(t[b]), 1, 13))
                for (i = 3; i <= n; i++) {
                    v = sum[b, i]; bar = ""
                    while (v >= 1) { bar = bar "#"; v = v / 2 }
                    line = line sprintf("  %-14.14s %-14s", name[i], bar)
                }
                print line
            }
        }' "$out/chart.csv"
    echo
fi
if "$bin/scpdrive" --getinfo-only --quiet -- "$bin/dnsjoin" profile >/dev/null 2>&1; then
    echo "== | dnsprofile   (top rows)"
    "$bin/scpdrive" --order desc --no-mv \
        --fields src,dns_query,dest_ip,lookups,connections,conn_per_lookup,path,tunnel \
        "$out/story.csv" -- "$bin/dnsjoin" profile 2>/dev/null | head -n 6 | sed 's/^/  /'
    "$bin/scpdrive" --order desc --no-mv --fields finding \
        "$out/story.csv" -- "$bin/dnsjoin" profile 2>/dev/null | sed -n 2p | sed 's/^"//; s/"$//; s/""/"/g; s/^/  finding: /'
    echo
fi
echo "Files: $out/story.csv (input), $out/joined.csv (dnsjoin output)."
