#!/bin/sh
# Run every cmocka suite in $1 (or only the ones named after $2); the
# protocol suites find binaries in $2.
# VALGRIND=1 runs each suite under memcheck, and (VALGRIND_CHILD, read by
# tests/unit/support/testutil.c) every program a suite starts.
# UNIT_JOBS suites run at once (default: one per processor); each one's
# output is shown whole, in name order, with its wall time.
dir=$1; bin=$2; shift 2
only="$*"
DNSJOIN_BIN=$(cd "$bin" && pwd); export DNSJOIN_BIN
if [ -n "${VALGRIND:-}" ]; then
    VALGRIND_RUN="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
    VALGRIND_CHILD=1
    export VALGRIND_RUN VALGRIND_CHILD
fi
jobs=${UNIT_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
out=$(mktemp -d "${TMPDIR:-/tmp}/dnsjoin-unit.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

suites() {
    if [ -n "$only" ]; then for n in $only; do echo "$dir/$n"; done
    else for t in "$dir"/test_*; do [ -x "$t" ] && echo "$t"; done; fi
}
# one suite: its output, exit status and seconds, in files named for it
suites |
    OUT=$out xargs -P "$jobs" -I{} sh -c '
        n=$(basename "$1"); t0=$(date +%s)
        ${VALGRIND_RUN:-} "$1" > "$OUT/$n.out" 2>&1; echo $? > "$OUT/$n.rc"
        echo $(( $(date +%s) - t0 )) > "$OUT/$n.s"' sh {}

fail=0
for t in $(suites); do
    n=$(basename "$t")
    cat "$out/$n.out" 2>/dev/null
    rc=$(cat "$out/$n.rc" 2>/dev/null || echo "not run")
    [ "$rc" = 0 ] || { echo "FAILED: $n (exit status $rc)"; fail=1; }
    echo "-- $n: $(cat "$out/$n.s" 2>/dev/null) s"
done
exit $fail
