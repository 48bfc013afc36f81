#!/bin/sh
# bench/run.sh BIN: throughput and peak RSS of the dnsjoin sub-commands on a
# generated splunkd chunk stream, next to `cat` on the same file.
#
#   sh bench/run.sh bin                      (what `make bench` runs)
#   RUNS=9 BENCH_EVENTS=200000 sh bench/run.sh bin
#   BENCH_BIG=1 sh bench/run.sh bin          (+ peak RSS at 10M events, piped)
#   STATIC_BIN=build/static/x86_64/release sh bench/run.sh bin
#                                            (+ the static release build of
#                                            every sub-command, in the same
#                                            rounds; what `make bench` runs)
#
# Env: STATIC_BIN (unset), RUNS (default 5), BENCH_EVENTS (1000000), BENCH_BIG (unset),
# BENCH_BIG_EVENTS (10000000), BENCH_TIMER=rusage (force the C helper),
# CC (cc).  Results are also written to bench/out/results.txt.
set -eu

BIN=${1:-bin}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/out
RUNS=${RUNS:-5}
EVENTS=${BENCH_EVENTS:-1000000}
BIG_EVENTS=${BENCH_BIG_EVENTS:-10000000}
CC=${CC:-cc}
CFLAGS="-std=c11 -O2 -Wall -Wextra -Wpedantic -Werror"
RESULTS=$OUT/results.txt

mkdir -p "$OUT"
for p in gen_stream check_stream gen_story rusage; do
	# shellcheck disable=SC2086 # CFLAGS is a word list
	"$CC" $CFLAGS -o "$OUT/$p" "$HERE/$p.c"
done

# GNU time if present (as documented), else the fork/exec helper.
if [ -x /usr/bin/time ] && [ "${BENCH_TIMER:-}" != rusage ]; then
	TIMER=gnu
	TIMER_NAME="/usr/bin/time -f '%e %M'"
else
	TIMER=rusage
	TIMER_NAME="bench/out/rusage (fork/exec, wait4 ru_maxrss)"
fi

# timed FILE CMD...: run CMD (stdin/stdout as given), write "secs kib" to FILE
timed() {
	tf=$1
	shift
	if [ "$TIMER" = gnu ]; then
		/usr/bin/time -f '%e %M' -o "$tf" "$@"
	else
		"$OUT/rusage" -o "$tf" "$@"
	fi
}

# Median of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The stream is generated once per generator source and event count.
STREAM=$OUT/stream-$EVENTS.scp
STAMP=$OUT/stream-$EVENTS.stamp
want=$(cksum < "$HERE/gen_stream.c" | awk '{ print $1 }')-$EVENTS
GEN_NOTE="reused"
if [ ! -s "$STREAM" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
	rm -f "$STAMP"
	timed "$OUT/gen.time" "$OUT/gen_stream" --events "$EVENTS" --args '' > "$STREAM"
	gsecs=$(awk 'END { print $1 }' "$OUT/gen.time")
	GEN_NOTE=$(awk -v s="$gsecs" -v n="$EVENTS" 'BEGIN {
		if (s > 0) printf "generated in %.2f s (%.0f events/s)", s, n / s;
		else printf "generated in %.2f s", s }')
	echo "$want" > "$STAMP"
fi
"$OUT/check_stream" --order desc "$STREAM" > "$OUT/stream.shape"
shape() { sed -n "s/^$1=//p" "$OUT/stream.shape"; }
BYTES=$(wc -c < "$STREAM" | tr -d ' ')
MAXFRAME=$(shape max_frame_bytes)
MAXROWS=$(shape max_chunk_rows)
ROWS=$(shape rows)

# Commands: cat and passthrough always; the others once they answer getinfo.
PROBE=$OUT/probe.scp
"$OUT/gen_stream" --events 2000 --chunk-rows 500 --args '' > "$PROBE"
CMDS="cat"
SKIPPED=""
for sub in passthrough join timechart profile; do
	if [ -x "$BIN/dnsjoin" ] &&
		"$BIN/dnsjoin" "$sub" < "$PROBE" > "$OUT/probe.out" 2> "$OUT/probe.err" &&
		"$OUT/check_stream" --lenient "$OUT/probe.out" > /dev/null 2>&1; then
		CMDS="$CMDS|$BIN/dnsjoin $sub"
	else
		SKIPPED="$SKIPPED $sub"
	fi
done
# The static release build, when given, runs in the same rounds as the
# dynamic one, so their ratio is taken on the same machine load.
STATIC_SUBS=""
if [ -n "${STATIC_BIN:-}" ]; then
	for sub in passthrough join timechart profile; do
		case "|$CMDS|" in *"|$BIN/dnsjoin $sub|"*) ;; *) continue ;; esac
		if [ -x "$STATIC_BIN/dnsjoin" ] &&
			"$STATIC_BIN/dnsjoin" "$sub" < "$PROBE" > "$OUT/probe.out" 2> "$OUT/probe.err" &&
			"$OUT/check_stream" --lenient "$OUT/probe.out" > /dev/null 2>&1; then
			CMDS="$CMDS|$STATIC_BIN/dnsjoin $sub"
			STATIC_SUBS="$STATIC_SUBS $sub"
		else
			SKIPPED="$SKIPPED static:$sub"
		fi
	done
fi

{
	echo "TA-dnsjoin benchmark"
	echo "produced by: sh bench/run.sh $BIN   (RUNS=$RUNS BENCH_EVENTS=$EVENTS${BENCH_BIG:+ BENCH_BIG=1}${STATIC_BIN:+ STATIC_BIN=$STATIC_BIN})"
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')   host: $(uname -sm), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
	echo "timer: $TIMER_NAME, median of $RUNS rounds (each runs every command once, in turn), stdin from the file, stdout to /dev/null"
	echo "stream: $STREAM ($GEN_NOTE)"
	echo "  $ROWS events over 7 days, newest first, $(shape execute_chunks) execute chunks of <= $MAXROWS rows, $BYTES bytes"
	echo "  largest chunk: $MAXFRAME bytes (metadata + body) = $(awk -v b="$MAXFRAME" 'BEGIN { printf "%.1f MB", b / 1e6 }')"
	[ -n "$SKIPPED" ] && echo "  not run (missing or failing on a 2000-event probe):$SKIPPED"
	echo
} | tee "$RESULTS"

TABLE=$OUT/table.tmp
: > "$TABLE"
# Round-robin: run i of every command, then run i + 1 of every command, so
# that a change in the machine's load between rounds moves all commands
# alike; the ratio to passthrough is also taken within each round, and its
# median reported.
rm -f "$OUT"/t.* "$OUT"/r.*
# pk: passthrough's place in CMDS (0 if it is not there)
pk=0
k=0
OLDIFS=$IFS
IFS='|'
for cmd in $CMDS; do
	k=$((k + 1))
	# the dynamic build's passthrough: the static build's is compared with it too
	[ "$cmd" = "$BIN/dnsjoin passthrough" ] && pk=$k
done
IFS=$OLDIFS
FAILED=""
i=0
while [ "$i" -lt "$RUNS" ]; do
	k=0
	IFS='|'
	for cmd in $CMDS; do
		IFS=$OLDIFS
		k=$((k + 1))
		case " $FAILED " in *" $k "*) IFS='|'; continue ;; esac
		# shellcheck disable=SC2086 # cmd is a word list on purpose
		if ! timed "$OUT/run.time" $cmd < "$STREAM" > /dev/null 2> "$OUT/run.err"; then
			echo "FAILED: $cmd (see $OUT/run.err)" | tee -a "$RESULTS"
			head -5 "$OUT/run.err" >&2
			FAILED="$FAILED $k"
			IFS='|'
			continue
		fi
		tail -n 1 "$OUT/run.time" | awk '{ print $1 }' >> "$OUT/t.$k"
		tail -n 1 "$OUT/run.time" | awk '{ print $2 }' >> "$OUT/r.$k"
		IFS='|'
	done
	IFS=$OLDIFS
	i=$((i + 1))
done
k=0
IFS='|'
for cmd in $CMDS; do
	IFS=$OLDIFS
	k=$((k + 1))
	case " $FAILED " in *" $k "*) IFS='|'; continue ;; esac
	# the ratio to passthrough within each round (line r of t.<k> is round r)
	rr=-
	if [ "$pk" -gt 0 ] && [ -s "$OUT/t.$pk" ]; then
		rr=$(paste "$OUT/t.$pk" "$OUT/t.$k" | awk '$2 > 0 { print $1 / $2 }' | median)
	fi
	printf '%s\t%s\t%s\t%s\n' "$cmd" "$(median < "$OUT/t.$k")" "$(median < "$OUT/r.$k")" \
		"$rr" >> "$TABLE"
	IFS='|'
done
IFS=$OLDIFS

awk -F '\t' -v n="$ROWS" -v bytes="$BYTES" -v chunk="$MAXFRAME" -v timer="$TIMER" -v ptname="$BIN/dnsjoin passthrough" '
	{ name[NR] = $1; t[NR] = $2; rss[NR] = $3; rr[NR] = $4
	  if ($1 == "cat") cat = $2
	  if ($1 == ptname) pt = $2 }
	END {
		printf "%-26s %9s %12s %9s %10s %9s %9s %9s %9s\n", "command", "median_s", "events/s",
		       "MB/s", "peakRSS_MB", "RSS/chunk", "x_passthr", "x_pt_rnd", "x_cat_t"
		for (i = 1; i <= NR; i++) {
			s = t[i] > 0 ? t[i] : 0.005   # /usr/bin/time has 10 ms resolution
			eps = n / s
			printf "%-26s %9.3f %12.0f %9.1f %10.1f %9.2f %9s %9s %9s\n", name[i], t[i], eps,
			       bytes / 1e6 / s, rss[i] / 1024, rss[i] * 1024 / chunk,
			       pt != "" ? sprintf("%.2f", eps / (n / (pt > 0 ? pt : 0.005))) : "-",
			       rr[i] != "-" ? sprintf("%.2f", rr[i]) : "-",
			       cat != "" ? sprintf("%.1f", s / (cat > 0 ? cat : 0.005)) : "-"
		}
		if (timer == "gnu" && cat != "" && cat < 0.2)
			printf "note: cat takes %s s, near /usr/bin/time'"'"'s 10 ms resolution; BENCH_TIMER=rusage measures in ms\n", cat
		print "x_passthr: events/s relative to passthrough (medians); x_pt_rnd: the same ratio taken"
		print "within each round (all commands run once per round), median over the rounds;"
		print "x_cat_t: time relative to cat; RSS/chunk: peak RSS over the largest chunk (metadata + body)"
	}' "$TABLE" | tee -a "$RESULTS"

# Static against dynamic: events/s of the static build over the dynamic
# build's, taken within each round (the same input, one after the other),
# median over the rounds.  The release target is >= 0.90.
if [ -n "$STATIC_SUBS" ]; then
	{
		echo
		echo "static release build ($STATIC_BIN) against the dynamic build ($BIN), same rounds:"
		printf '  %-12s %10s %10s %12s\n' sub-command dynamic_s static_s static/dyn
		for sub in $STATIC_SUBS; do
			kd=0; ks=0; k=0
			IFS='|'
			for cmd in $CMDS; do
				k=$((k + 1))
				[ "$cmd" = "$BIN/dnsjoin $sub" ] && kd=$k
				[ "$cmd" = "$STATIC_BIN/dnsjoin $sub" ] && ks=$k
			done
			IFS=$OLDIFS
			[ -s "$OUT/t.$kd" ] && [ -s "$OUT/t.$ks" ] || continue
			r=$(paste "$OUT/t.$kd" "$OUT/t.$ks" | awk '$2 > 0 { print $1 / $2 }' | median)
			printf '  %-12s %10s %10s %12.2f%s\n' "$sub" "$(median < "$OUT/t.$kd")" \
				"$(median < "$OUT/t.$ks")" "$r" \
				"$(awk -v r="$r" 'BEGIN { if (r < 0.90) print "   BELOW the 0.90 target" }')"
		done
		echo "  static/dyn: events/s of the static build over the dynamic one's, per round, median"
	} | tee -a "$RESULTS"
fi

# Output sanity: each command must return a well-formed reply stream; passthrough
# and join must return every event.
{
	echo
	IFS='|'
	for cmd in $CMDS; do
		IFS=$OLDIFS
		[ "$cmd" = cat ] && { IFS='|'; continue; }
		# shellcheck disable=SC2086
		if $cmd < "$STREAM" 2> /dev/null | "$OUT/check_stream" --lenient > "$OUT/out.shape" 2> "$OUT/out.err"; then
			r=$(sed -n 's/^rows=//p' "$OUT/out.shape")
			case $cmd in
			*" passthrough" | *" join")
				[ "$r" = "$ROWS" ] && v="all $r events back" || v="WRONG: $r rows for $ROWS events" ;;
			*) v="$r result rows" ;;
			esac
			echo "replies of '$cmd': well-formed, $v"
		else
			echo "replies of '$cmd': MALFORMED: $(cat "$OUT/out.err")"
		fi
		IFS='|'
	done
	IFS=$OLDIFS
} | tee -a "$RESULTS"

if [ -n "${BENCH_BIG:-}" ]; then
	{
		echo
		echo "peak RSS at $BIG_EVENTS events over 7 days, piped from bench/out/gen_stream (one run each):"
		IFS='|'
		for cmd in $CMDS; do
			IFS=$OLDIFS
			[ "$cmd" = cat ] && { IFS='|'; continue; }
			# shellcheck disable=SC2086
			if "$OUT/gen_stream" --events "$BIG_EVENTS" --args '' |
				timed "$OUT/big.time" $cmd > /dev/null 2> "$OUT/big.err"; then
				tail -n 1 "$OUT/big.time" | awk -v c="$cmd" '{
					printf "  %-26s peak RSS %7.1f MB  (%.1f s incl. generation)\n", c, $2 / 1024, $1 }'
			else
				echo "  $cmd FAILED: $(head -3 "$OUT/big.err")"
			fi
			IFS='|'
		done
		IFS=$OLDIFS
	} | tee -a "$RESULTS"
fi
echo "(written to $RESULTS)"
