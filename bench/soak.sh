#!/bin/sh
# bench/soak.sh BIN: a long run of `dnsjoin join` and `dnsjoin profile`:
# does throughput hold up and memory stay flat over SOAK_EVENTS events?
# Not a test (make test does not run it): `make soak`.
#
#   sh bench/soak.sh bin                          (50,000,000 events each)
#   SOAK_EVENTS=2000000 sh bench/soak.sh bin      (a quick look)
#
# Env: SOAK_EVENTS (50000000), SOAK_CHUNK (50000 rows per chunk),
# SOAK_DAYS (the stream's span; default SOAK_EVENTS * 7 / 10,000,000, the
# density of the 10,000,000-events-over-7-days memory benchmark, so that a
# window holds as many events as there and memory can be compared),
# SOAK_MARK (1000000: the "first/last million" and the mark interval),
# SOAK_CMDS ("join profile"), CC (cc).
#
# Per command, the stream is piped, never stored (50M events are ~30 GB):
#   gen_stream | soak_meter --pass | rusage dnsjoin CMD | soak_meter
# gen_stream writes a complete session (getinfo, then execute chunks of
# SOAK_CHUNK rows, newest first); the first meter counts rows as the
# command takes them from the pipe, the second counts the reply rows.
# Both log CLOCK_MONOTONIC times at every SOAK_MARK rows with the command's
# VmRSS then; rusage gives its peak RSS at exit.
#
# Rates: "first" is the first SOAK_MARK rows from the first byte, "last" the
# last SOAK_MARK rows.  join returns every event, chunk by chunk, so its
# rate is taken from the replies (rows out).  profile is a reporting
# command: its replies come at the end, so its rate is the rate at which it
# consumed input (rows in), which runs ahead of its work by at most one
# chunk plus a pipe buffer (~5% of a million at 50,000-row chunks); the
# time from its last input row to its exit (building the report) is shown
# apart.  gen_stream alone is timed too: a rate close to it means the
# generator, not the command, was the limit.
set -eu

BIN=${1:-bin}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/out
EVENTS=${SOAK_EVENTS:-50000000}
CHUNK=${SOAK_CHUNK:-50000}
DAYS=${SOAK_DAYS:-$(( (EVENTS * 7 + 9999999) / 10000000 ))}
MARK=${SOAK_MARK:-1000000}
CMDS=${SOAK_CMDS:-join profile}
CC=${CC:-cc}
CFLAGS="-std=c11 -O2 -Wall -Wextra -Wpedantic -Werror"
W=$OUT/soak
RESULTS=$OUT/soak.txt

if [ "$EVENTS" -lt $((2 * MARK)) ]; then
	echo "soak: SOAK_EVENTS ($EVENTS) must be at least 2 x SOAK_MARK ($MARK)" >&2
	exit 2
fi
mkdir -p "$OUT" "$W"
for p in gen_stream rusage soak_meter; do
	# shellcheck disable=SC2086 # CFLAGS is a word list
	"$CC" $CFLAGS -o "$OUT/$p" "$HERE/$p.c"
done

rpid=""
cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	rm -f "$W/in.fifo" "$W/out.fifo"
}
trap cleanup EXIT INT TERM

# The generator's own rate over one mark, as the ceiling of what can be seen.
"$OUT/rusage" -o "$W/gen.time" "$OUT/gen_stream" --events "$MARK" --days "$DAYS" --chunk-rows "$CHUNK" \
	--args '' > /dev/null
GEN_RATE=$(awk -v n="$MARK" 'END { printf "%.0f", ($1 > 0 ? n / $1 : 0) }' "$W/gen.time")

{
	echo "TA-dnsjoin soak"
	echo "produced by: sh bench/soak.sh $BIN   (SOAK_EVENTS=$EVENTS SOAK_CHUNK=$CHUNK SOAK_MARK=$MARK)"
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')   host: $(uname -sm), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc 2>/dev/null || echo '?') cores"
	echo "stream: gen_stream --events $EVENTS --days $DAYS --chunk-rows $CHUNK (newest first), piped"
	echo "gen_stream alone: $GEN_RATE events/s"
	echo
} | tee "$RESULTS"

for sub in $CMDS; do
	rm -f "$W/in.fifo" "$W/out.fifo" "$W/$sub".*
	mkfifo "$W/in.fifo" "$W/out.fifo"
	# the command, between two fifos, so its pid is known for VmRSS
	"$OUT/rusage" -o "$W/$sub.rusage" "$BIN/dnsjoin" "$sub" \
		< "$W/in.fifo" > "$W/out.fifo" 2> "$W/$sub.err" &
	rpid=$!
	"$OUT/soak_meter" -o "$W/$sub.out.log" --every "$MARK" --pid-file "$W/$sub.pid" \
		< "$W/out.fifo" &
	mpid=$!
	(
		"$OUT/gen_stream" --events "$EVENTS" --days "$DAYS" --chunk-rows "$CHUNK" --args '' 2> "$W/$sub.gen.err" ||
			echo "gen_stream failed" > "$W/$sub.gen.failed"
	) | "$OUT/soak_meter" --pass -o "$W/$sub.in.log" --every "$MARK" \
		--pid-file "$W/$sub.pid" > "$W/in.fifo" &
	gpid=$!
	# rusage's child is dnsjoin (it exists once both fifos are open)
	n=0
	while [ $n -lt 600 ] && ! [ -s "$W/$sub.pid" ]; do
		c=$(cat "/proc/$rpid/task/$rpid/children" 2>/dev/null || true)
		[ -n "$c" ] && echo "$c" | awk '{ print $1 }' > "$W/$sub.pid"
		[ -s "$W/$sub.pid" ] || sleep 0.1
		n=$((n + 1))
	done
	st=0
	wait "$rpid" || st=$?
	rpid=""
	mst=0
	wait "$mpid" || mst=$?
	wait "$gpid" || mst=$?
	if [ "$st" != 0 ] || [ "$mst" != 0 ] || [ -e "$W/$sub.gen.failed" ]; then
		echo "$sub: FAILED (dnsjoin exit $st, meters/generator $mst): $(head -3 "$W/$sub.err")" |
			tee -a "$RESULTS"
		continue
	fi
	side=out
	[ "$sub" = profile ] && side=in
	awk -v cmd="$sub" -v side="$side" -v mark="$MARK" -v gen="$GEN_RATE" '
		FNR == 1 { f++ }
		f == 1 && $1 == "start" { t0 = $2 }
		f == 1 && $1 == "end" { in_rows = $2; in_end = $3 }
		f == 2 && $1 == "end" { out_rows = $2; out_end = $3 }
		f == 3 { peak = $2 }
		(f == 1 && side == "in") || (f == 2 && side == "out") {
			if ($1 == "mark") { t[$2] = $3; rss[$2] = $4 }
			if ($1 == "end") { rows = $2; end = $3 }
		}
		f == 1 && $1 == "mark" { in_rss[$2] = $4; last_in = $2 }
		END {
			# first: rows 0..mark from the first byte; last: from the last
			# mark at or before rows - mark to the end of the stream
			first = t[mark] - t0
			k = int((rows - mark) / mark) * mark
			tk = k > 0 ? t[k] : t0
			lastd = end - tk
			printf "%s: %d events in, %d rows out, %.1f s, peak RSS %.1f MB\n", cmd, in_rows,
			       out_rows, out_end - t0, peak / 1024
			how = side == "out" ? "reply rows as they arrive" : "input rows as the command takes them"
			printf "  rate measured on %s\n", how
			printf "  first %d rows: %9.0f events/s\n", mark, (first > 0 ? mark / first : 0)
			printf "  last  %d rows: %9.0f events/s  (rows %d..%d)\n", rows - k,
			       (lastd > 0 ? (rows - k) / lastd : 0), k, rows
			if (first > 0 && lastd > 0)
				printf "  last/first: %.2f\n", ((rows - k) / lastd) / (mark / first)
			printf "  RSS at %d rows in: %.1f MB, at %d: %.1f MB\n", mark, in_rss[mark] / 1024,
			       last_in, in_rss[last_in] / 1024
			if (side == "in")
				printf "  from the last input row to the end of the replies: %.2f s\n",
				       out_end - in_end
			if (gen > 0 && first > 0 && mark / first > 0.9 * gen)
				print "  note: close to gen_stream alone; the generator may be the limit"
		}' "$W/$sub.in.log" "$W/$sub.out.log" "$W/$sub.rusage" | tee -a "$RESULTS"
	# the RSS trend, one line per mark (rows taken, seconds, MB)
	awk -v t0="$(awk '$1 == "start" { print $2 }' "$W/$sub.in.log")" \
		'$1 == "mark" { printf "    %10d rows in  %8.1f s  RSS %7.1f MB\n", $2, $3 - t0, $4 / 1024 }' \
		"$W/$sub.in.log" > "$W/$sub.trend"
	echo "  RSS trend: $W/$sub.trend" | tee -a "$RESULTS"
	echo | tee -a "$RESULTS"
done
echo "(written to $RESULTS)"
