#!/bin/sh
# Every input-controlled limit (c_src/limits.h): one case just past it and,
# where cheap, one exactly at it (tests/limits/cases.txt).  $1: the directory
# holding the normal scpdrive, which drives the small-limits dnsjoin built
# by `make small-limits` (tiny values, so every input is a few kilobytes).
#
# An error case must exit non-zero, show an ERROR naming the limit (in the
# reply's inspector messages) and write exactly one stderr line; a warn
# case exits 0 with the WARN once on stderr; an ok case exits 0 and nothing
# names the limit.  Every run is under `timeout`: a hang is a failure.
# REST_RESPONSE_MAX needs the KV store stand-in: tests/kv/check.sh has it.
set -u
bindir=$(cd "${1:-bin}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 is not installed"
    exit 0
fi
make -s small-limits >/dev/null || { echo "FAIL make small-limits"; exit 1; }
scpdrive=$bindir/scpdrive
tmp=$(mktemp -d /tmp/dnsjoin_limits_test.XXXXXX)
trap '[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"' EXIT INT TERM
# An app directory as in Splunk, so dnsprofile finds its lookup and no
# dnsjoin.conf applies.
small=$tmp/app/bin
mkdir -p "$small"
cp build/limits/dnsjoin build/limits/dnsmasq_log "$small/"
ln -s "$(pwd)/lookups" "$tmp/app/lookups"
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
: >"$tmp/dnsmasq.log"

# run NAME HOW COMMAND OPTIONS: rc in $rc, messages ("LEVEL text" lines) in
# $tmp/msgs, the program's own stderr in $tmp/err.
run() {
    name=$1 how=$2 cmd=$3 opts=$4
    in=$tmp/$name.in
    python3 "$here/gen.py" "$name" "$in" "$tmp/dnsmasq.log" || { rc=-1; return; }
    : >"$tmp/msgs"
    : >"$tmp/err"
    case $how in
    csv)
        [ "$opts" = - ] && opts=
        eval "set -- $opts"
        # the command's stderr apart from scpdrive's
        timeout 60 "$scpdrive" --timeout 30 "$@" "$in" -- \
            sh -c 'exec "$0" "$@" 2>"'"$tmp/err"'"' "$small/dnsjoin" "$cmd" \
            >"$tmp/out" 2>"$tmp/drv"
        rc=$?
        sed -n 's/^scpdrive: \(ERROR\|WARN\|INFO\) /\1 /p' "$tmp/drv" >"$tmp/msgs"
        ;;
    raw)
        timeout 30 "$small/dnsjoin" "$cmd" <"$in" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        python3 "$here/gen.py" replies "$tmp/out" >"$tmp/msgs" 2>>"$tmp/err" ||
            echo "FATAL unreadable reply" >>"$tmp/msgs"
        ;;
    file)
        timeout 30 "$small/dnsmasq_log" --file "$in" --timezone UTC --year 2024 \
            >"$tmp/out" 2>"$tmp/err"
        rc=$?
        sed -n 's/^\(ERROR\|WARN\) /\1 /p' "$tmp/err" >"$tmp/msgs"
        ;;
    run)
        # run mode: the configuration XML on stdin; an error case stops by itself
        timeout 30 "$small/dnsmasq_log" <"$in" >"$tmp/out" 2>"$tmp/all"
        rc=$?
        # run mode always ends with its statistics (INFO): the rest is counted
        grep -v '^INFO dnsmasq_log: lines=' "$tmp/all" >"$tmp/err"
        sed -n 's/^\(ERROR\|WARN\) /\1 /p' "$tmp/err" >"$tmp/msgs"
        ;;
    validate)
        timeout 30 "$small/dnsmasq_log" --validate-arguments <"$in" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        grep -q '<error>' "$tmp/out" && sed 's/.*<message>\(.*\)<\/message>.*/ERROR \1/' \
            "$tmp/out" >"$tmp/msgs"
        ;;
    esac
}

show() { sed 's/^/    /' "$tmp/msgs" "$tmp/err" | cut -c1-300; }

check() { # name limit expect
    name=$1 limit=$2 expect=$3
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        bad "$name: timed out"
        return
    fi
    lines=$(grep -c '' "$tmp/err")
    named=$(grep -c -F "$limit" "$tmp/err")
    case $expect in
    error)
        if [ "$rc" -ne 0 ] && grep -q "^ERROR .*$limit" "$tmp/msgs" && [ "$lines" -eq 1 ] &&
            [ "$named" -eq 1 ]; then
            ok "$name: exit $rc, ERROR names $limit, one stderr line"
        else
            bad "$name: exit $rc, stderr lines $lines, want an ERROR naming $limit"
            show
        fi
        ;;
    warn)
        if [ "$rc" -eq 0 ] && grep -q "^WARN .*$limit" "$tmp/msgs" && [ "$named" -eq 1 ]; then
            ok "$name: exit 0, WARN names $limit once"
        else
            bad "$name: exit $rc, $named stderr lines name it, want one WARN naming $limit"
            show
        fi
        ;;
    ok)
        if [ "$rc" -eq 0 ] && ! grep -q -F "$limit" "$tmp/msgs" "$tmp/err"; then
            ok "$name: exit 0 at the limit"
        else
            bad "$name: exit $rc at the limit, or a message names $limit"
            show
        fi
        ;;
    esac
}

trim() { sed 's/^ *//; s/ *$//'; }
grep -v '^#' "$here/cases.txt" | grep -v '^ *$' | while IFS='|' read -r name limit how cmd opts expect; do
    name=$(echo "$name" | trim) limit=$(echo "$limit" | trim) how=$(echo "$how" | trim)
    cmd=$(echo "$cmd" | trim) opts=$(echo "$opts" | trim) expect=$(echo "$expect" | trim)
    run "$name" "$how" "$cmd" "$opts"
    check "$name" "$limit" "$expect"
    # the pipe runs the loop in a subshell: carry failures out in a file
    [ "$fail" -eq 0 ] || : >"$tmp/failed"
done

# Behaviour behind the modular input's warnings: what is kept and counted.
run answers_over file - -
n=$(python3 -c 'import json,sys; print(len(json.loads(open(sys.argv[1]).readline())["answer"]))' \
    "$tmp/out" 2>/dev/null)
[ "$n" = 5 ] && ok "answers_over: the event keeps DNSMASQ_ANSWERS_MAX answers" ||
    bad "answers_over: $n answers in the event"
grep -q 'answers_dropped=1' "$tmp/err" && ok "answers_over: answers_dropped=1 counted" ||
    bad "answers_over: no answers_dropped=1 in the statistics"
run line_over file - -
[ "$(grep -c '' "$tmp/out")" = 2 ] && grep -q 'long_lines=1' "$tmp/err" &&
    ok "line_over: the long line skipped and counted, the others kept" ||
    { bad "line_over: events $(grep -c '' "$tmp/out")"; show; }
run inflight_over file - -
[ "$(grep -c '' "$tmp/out")" = 21 ] && grep -q 'forced_out=1' "$tmp/err" &&
    ok "inflight_over: the oldest forced out and counted, nothing lost" ||
    { bad "inflight_over: events $(grep -c '' "$tmp/out")"; show; }

[ -e "$tmp/failed" ] && fail=1
exit $fail
