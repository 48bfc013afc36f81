#!/bin/sh
# Run every cmocka suite in $1; the protocol suites find binaries in $2.
# VALGRIND=1 runs each suite under memcheck, and (VALGRIND_CHILD, read by
# tests/unit/support/testutil.c) every program a suite starts.
dir=$1; bin=$2
DNSJOIN_BIN=$(cd "$bin" && pwd); export DNSJOIN_BIN
fail=0
for t in "$dir"/test_*; do
    [ -x "$t" ] || continue
    t0=$(date +%s)
    if [ -n "$VALGRIND" ]; then
        VALGRIND_RUN="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
        VALGRIND_CHILD=1
        export VALGRIND_RUN VALGRIND_CHILD
        $VALGRIND_RUN "$t" || fail=1
    else
        "$t" || fail=1
    fi
    echo "-- $(basename "$t"): $(( $(date +%s) - t0 )) s"
done
exit $fail
