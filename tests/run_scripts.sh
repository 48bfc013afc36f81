#!/bin/sh
# Script-level test suites (tests/*/run.sh other than unit); each exits non-zero on failure.
bin=$1
fail=0
for s in tests/*/check.sh; do
    [ -f "$s" ] || continue
    echo "== $s"
    t0=$(date +%s)
    sh "$s" "$bin" || { echo "FAILED: $s"; fail=1; }
    echo "-- $s: $(( $(date +%s) - t0 )) s"
done
exit $fail
