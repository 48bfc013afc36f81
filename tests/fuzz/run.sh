#!/bin/sh
# Run every fuzz target under libFuzzer with ASan + UBSan.
#
#   sh tests/fuzz/run.sh [SECONDS]        (from the repository root; make fuzz)
#
# Environment:
#   FUZZ_TARGETS="fuzz_csv fuzz_meta"  only these targets (default: all)
#   FUZZ_MERGE=0                       leave tests/fuzz/corpus/ as it is
#                                      (default 1: merge what the run found
#                                      into the committed corpus, minimised)
#   CLANG=clang-17                     the compiler (default clang)
#   FUZZ_KEEP_GOING=1                  go on after a crash (libFuzzer -fork=1
#                                      -ignore_crashes=1), for a target whose
#                                      known bug would stop it at once; the
#                                      crashes stay in build/fuzz/work/<t>/
#                                      artifacts for triage (not copied)
#   FUZZ_RECORD=0                      a smoke run (check.sh): write nothing
#                                      under tests/ (no corpus merge, no
#                                      regression copy, no runs.tsv line);
#                                      findings stay in build/fuzz/work/
#
# Each target runs SECONDS (default 10) seconds from its committed corpus.
# A crash, leak, timeout or failed property is copied to
# tests/fuzz/regressions/<target>/<target>-<hash>, which the replay driver
# runs from then on (rename it to say what it is); the script then exits 1.
# Every run is appended to tests/fuzz/runs.tsv (date, target, seconds it
# really ran, executions, result), the record of how long each target has
# been fuzzed; `sh tests/fuzz/totals.sh` sums it per target.
set -u
secs=${1:-10}
clang=${CLANG:-clang}
merge=${FUZZ_MERGE:-1}
record=${FUZZ_RECORD:-1}
keep=${FUZZ_KEEP_GOING:-0}
extra=
[ "$keep" = 1 ] && extra="-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
[ "$record" = 1 ] || merge=0
here=tests/fuzz
fb=build/fuzz/libfuzzer
work=build/fuzz/work

if ! command -v "$clang" >/dev/null 2>&1; then
    echo "fuzz: $clang not found; install clang (libFuzzer ships with it)" >&2
    exit 2
fi
make -s -f $here/fuzz.mk CC="$clang" fuzzers || exit 1

targets=${FUZZ_TARGETS:-$(for f in $here/fuzz_*.c; do basename "$f" .c; done)}
status=0
for t in $targets; do
    rm -rf "$work/$t"
    mkdir -p "$work/$t/new" "$work/$t/artifacts"
    log=$work/$t/log
    t0=$(date +%s)
    # -timeout: one input running longer is a hang; -rss_limit_mb: a blow-up
    # shellcheck disable=SC2086
    "$fb/$t" $extra -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" \
        "$work/$t/new" "$here/corpus/$t" >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - t0 ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # fork mode prints no final stats; take the last status line's count
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -1)
    found=$(ls "$work/$t/artifacts" 2>/dev/null)
    if [ $rc -eq 0 ] && [ -z "$found" ]; then
        result=ok
    elif [ "$keep" = 1 ]; then
        result="crashes:$(echo "$found" | wc -w)"
        status=1
        echo "fuzz: $t: crash inputs kept in $work/$t/artifacts/ for triage"
    else
        result=FAILED
        status=1
        [ "$record" = 1 ] && mkdir -p "$here/regressions/$t"
        for a in $found; do
            if [ "$record" != 1 ]; then
                echo "fuzz: $t: found $work/$t/artifacts/$a"
                continue
            fi
            h=$(cksum < "$work/$t/artifacts/$a" | cut -d' ' -f1)
            cp "$work/$t/artifacts/$a" "$here/regressions/$t/$t-${a%%-*}-$h"
            echo "fuzz: $t: $a -> $here/regressions/$t/$t-${a%%-*}-$h"
        done
        grep -E 'ERROR|property violated|SUMMARY' "$log" | head -5
        echo "fuzz: $t: full log in $log"
    fi
    [ "$record" = 1 ] &&
        printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$t" "$took" \
            "${execs:-0}" "$result" >>"$here/runs.tsv"
    echo "fuzz: $t: ${took}s, ${execs:-0} executions: $result"
    if [ "$merge" = 1 ] && { [ "$result" = ok ] || [ "$keep" = 1 ]; }; then
        # keep only inputs that add coverage; never lose a seed's coverage
        rm -rf "$work/$t/merged"
        mkdir -p "$work/$t/merged"
        if "$fb/$t" -merge=1 "$work/$t/merged" "$here/corpus/$t" "$work/$t/new" \
               >"$work/$t/merge.log" 2>&1; then
            rm -f "$here/corpus/$t"/*
            cp "$work/$t/merged"/* "$here/corpus/$t"/ 2>/dev/null
        fi
    fi
done
exit $status
