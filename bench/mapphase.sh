#!/bin/sh
# mapphase.sh: what the map phase saves.  For dnspdns and dnstimechart
# (no filter), the same events in one phase and with the map phase on
# (mapphase=t) played by bin/scpdrive as 1 indexer and as 4 (events split at
# random and by host): rows and bytes sent to the search head (the reduce),
# the reduce's CPU seconds (user + sys), the map processes' CPU seconds (all
# of them, and the busiest one) and scpdrive's wall time.
#
#   sh bench/mapphase.sh [BIN]                 (from the repository root)
#   MAP_EVENTS=200000 RUNS=3 sh bench/mapphase.sh bin
#
# Inputs (CSV, generated once into bench/out/):
#   stream  the bench stream's events: gen_stream --csv --events MAP_EVENTS
#           (default 1000000)
#   scan    a bursty firewall stream, bench/gen_scan.sh SCAN_EVENTS
#           (default 200000): blocked port scans, hundreds of packets a
#           second per (source, destination)
# The filtered dnstimechart (domain=) and dnsprofile are run too, single
# phase and with their weighted-row map phase (K = 1 and 4), on both.
#
# Every figure but rows and bytes is the median of RUNS (default 3) runs,
# taken round-robin (each round runs every case once).  CPU seconds come
# from scpdrive --stats (wait4 rusage of each process).  scpdrive runs the
# map processes one after another, so its wall time is the sum of theirs
# plus the reduce, not what K indexers in parallel would take; the critical
# path of a real search is about the busiest map plus the reduce.
# Nothing listens at the splunkd_uri given (127.0.0.1:1): dnspdns's KV
# store fails at once and its records come back not_saved, in every run.
#
# Output: a Markdown table on stdout and in bench/out/mapphase.txt; each
# run's stderr in bench/out/mapphase/.
set -eu
bin=${1:-bin}
runs=${RUNS:-3}
events=${MAP_EVENTS:-1000000}
scan_events=${SCAN_EVENTS:-200000}
out=bench/out
logs=$out/mapphase
mkdir -p "$logs"
# newer A B: A was modified after B
newer() { [ -n "$(find "$1" -newer "$2" 2>/dev/null)" ]; }

for p in gen_stream rusage; do
    if [ ! -x "$out/$p" ] || newer "bench/$p.c" "$out/$p"; then
        cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -o "$out/$p" "bench/$p.c"
    fi
done
stream=$out/mapphase-stream-$events.csv
scan=$out/mapphase-scan-$scan_events.csv
if [ ! -s "$stream" ] || newer bench/gen_stream.c "$stream"; then
    "$out/gen_stream" --csv --events "$events" > "$stream"
fi
if [ ! -s "$scan" ] || newer bench/gen_scan.sh "$scan"; then
    sh bench/gen_scan.sh "$scan_events" > "$scan"
fi
# dnstimechart's getinfo names required_fields, and splunkd sends only those
# (and their __mv_ companions) to a single phase; scpdrive sends every
# column, so the stream cut to them is run too ("required fields").
req=$out/mapphase-stream-$events.req.csv
if [ ! -s "$req" ] || newer "$stream" "$req"; then
    python3 -c '
import csv, sys
csv.field_size_limit(1 << 30)
keep = {"_time", "src", "src_ip", "dest_ip", "dest", "url", "sourcetype", "query", "answer"}
r = csv.reader(open(sys.argv[1], newline=""))
w = csv.writer(sys.stdout, lineterminator="\n")
h = next(r)
ix = [i for i, n in enumerate(h) if n in keep or (n.startswith("__mv_") and n[5:] in keep)]
w.writerow([h[i] for i in ix])
for row in r:
    w.writerow([row[i] for i in ix])
' "$stream" > "$req"
fi

# cases: name|input|command|args|scpdrive options
cases=$logs/cases
: > "$cases"
for cmd in pdns timechart; do
    for in in stream scan; do
        f=$stream
        [ $in = scan ] && f=$scan
        printf '%s\n' \
            "$in $cmd single|$f|$cmd|mapphase=f|" \
            "$in $cmd K=1|$f|$cmd|mapphase=t|--indexers 1" \
            "$in $cmd K=4 random|$f|$cmd|mapphase=t|--indexers 4 --split random --seed 1" \
            "$in $cmd K=4 host|$f|$cmd|mapphase=t|--indexers 4 --split host" >> "$cases"
    done
done
printf '%s\n' \
    "stream timechart single, required fields|$req|timechart|mapphase=f|" \
    >> "$cases"
# the weighted map phase: dnstimechart with a filter (a domain with events
# in each input: the stream's *.co.uk sites, the scan's targets), dnsprofile
for in in stream scan; do
    f=$stream; dom='*.co.uk'
    [ $in = scan ] && f=$scan && dom='*.example'
    printf '%s\n' \
        "$in timechart domain= single|$f|timechart|domain=$dom|" \
        "$in timechart domain= K=1|$f|timechart|mapphase=t domain=$dom|--indexers 1" \
        "$in timechart domain= K=4 random|$f|timechart|mapphase=t domain=$dom|--indexers 4 --split random --seed 1" \
        "$in profile single|$f|profile||" \
        "$in profile K=1|$f|profile|mapphase=t|--indexers 1" \
        "$in profile K=4 random|$f|profile|mapphase=t|--indexers 4 --split random --seed 1" >> "$cases"
done

# one run of case line $1 as run $2: appends "name<TAB>run<TAB>fields" to $logs/raw
run_case() {
    name=${1%%|*}; rest=${1#*|}
    f=${rest%%|*}; rest=${rest#*|}
    cmd=${rest%%|*}; rest=${rest#*|}
    args=${rest%%|*}; opts=${rest#*|}
    tag=$(printf '%s' "$name" | tr ' =' '__')
    log=$logs/$tag.$2.err
    # shellcheck disable=SC2086
    "$out/rusage" -o "$logs/$tag.$2.time" "$bin/scpdrive" --quiet --stats --order desc \
        --splunkd-uri https://127.0.0.1:1 --args "$args" $opts "$f" -- "$bin/dnsjoin" "$cmd" \
        > "$logs/$tag.out" 2> "$log" || { echo "mapphase: $name failed (see $log)" >&2; exit 1; }
    awk -v name="$name" -v run="$2" -v wall="$(cut -d' ' -f1 "$logs/$tag.$2.time")" '
        /^scpdrive: stats: the command: [0-9]+ rows/ { rows = $5; bytes = $11 }
        /^scpdrive: stats: the command: cpu/ { rcpu = $6 + $9 }
        /^scpdrive: stats: map [0-9]+ of [0-9]+: cpu/ { c = $8 + $11; mcpu += c; if (c > mmax) mmax = c }
        /names no streaming_preop/ { nomap = 1 }
        END { printf "%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%s\t%d\n", name, run, rows, bytes, rcpu,
                     mcpu, mmax, wall, nomap }' "$log" >> "$logs/raw"
}

: > "$logs/raw"
r=1
while [ $r -le "$runs" ]; do
    while IFS= read -r line; do
        run_case "$line" $r
    done < "$cases"
    r=$((r + 1))
done

# medians per case, in the cases' order; ratios against the case's single phase
{
    echo "$(date -u +%Y-%m-%d), $(uname -m), $(getconf _NPROCESSORS_ONLN) processors;" \
         "stream = gen_stream --csv --events $events ($(wc -c < "$stream") bytes)," \
         "scan = bench/gen_scan.sh $scan_events ($(wc -c < "$scan") bytes); medians of $runs runs"
    echo
    echo "| input, command, run | rows to the reduce | bytes to the reduce | bytes: single / this | reduce CPU s | map CPU s (all / busiest) | wall s |"
    echo "|---|---|---|---|---|---|---|"
    cut -d'|' -f1 "$cases" | while IFS= read -r name; do
        awk -F'\t' -v name="$name" '
            function med(a, n,   i, j, t) {
                for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
                    t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
                return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            }
            BEGIN { base = name; sub(/ (K=.*|single.*)$/, " single", base) }
            $1 == base { sb[++nb] = $4 }
            $1 == name { n++; rows = $3; bytes = $4; rc[n] = $5; mc[n] = $6; mm[n] = $7; w[n] = $8
                         nomap = $9 }
            END {
                single = nb ? sb[1] : bytes
                label = name (nomap ? " (no map phase)" : "")
                maps = name ~ /K=/ && !nomap ? sprintf("%.2f / %.2f", med(mc, n), med(mm, n)) : "-"
                printf "| %s | %d | %d | %.1fx | %.2f | %s | %.2f |\n", label, rows, bytes,
                       bytes ? single / bytes : 0, med(rc, n), maps, med(w, n)
            }' "$logs/raw"
    done
} | tee "$out/mapphase.txt"
