#!/bin/sh
# make test entry point for the fuzz targets (tests/run_scripts.sh passes the
# binary directory as $1; the targets link the library sources directly and
# do not need it).
#
# 1. Build every target with the replay driver (cc; with ASan + UBSan when
#    the compiler can link them) and replay the committed corpora and the
#    regression inputs: every input must pass.  Inputs named known-bug-* are
#    reported as KNOWN-BUG and do not fail the check.
# 2. When clang with libFuzzer is there, fuzz each target for 5 seconds
#    (a smoke run that writes nothing under tests/); otherwise say so.  A
#    target with an open known bug may fail its smoke run without failing
#    the check (it is listed as KNOWN-BUG).
set -u
here=tests/fuzz
cc=${CC:-cc}
fail=0

# The targets link the library sources and build with their own sanitizers,
# so another bin folder (make asan) would only repeat this run.
if [ -n "${1:-}" ] && [ "$(cd "$1" 2>/dev/null && pwd)" != "$(pwd)/bin" ]; then
    echo "SKIP: the fuzz replay runs with the default build only (it builds its own ASan targets)"
    exit 0
fi

san=
if printf 'int main(void){return 0;}\n' > build/fuzz-san-probe.c 2>/dev/null &&
   $cc -fsanitize=address,undefined build/fuzz-san-probe.c -o build/fuzz-san-probe 2>/dev/null &&
   ./build/fuzz-san-probe 2>/dev/null; then
    san="-fsanitize=address,undefined -fno-sanitize-recover=all"
fi
rm -f build/fuzz-san-probe.c build/fuzz-san-probe
rb=build/fuzz/replay
[ -n "$san" ] && rb=build/fuzz/replay-san

echo "fuzz: building replay drivers ($cc${san:+, ASan+UBSan})"
make -s -j2 -f $here/fuzz.mk CC="$cc" RB="$rb" \
    REPLAY_SAN="$san" replay || exit 1

for src in $here/fuzz_*.c; do
    t=$(basename "$src" .c)
    set -- "$here/corpus/$t"
    [ -d "$here/regressions/$t" ] && set -- "$@" "$here/regressions/$t"
    if [ ! -d "$here/corpus/$t" ]; then
        echo "fuzz: $t has no corpus in $here/corpus/$t"
        fail=1
        continue
    fi
    "$rb/replay_$t" "$@" || { echo "FAILED: replay of $t"; fail=1; }
done

if [ "${FUZZ_SMOKE:-1}" = 0 ]; then
    echo "fuzz: smoke run skipped (FUZZ_SMOKE=0)"
elif command -v clang >/dev/null 2>&1 &&
     printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
         > build/fuzz-probe.c &&
     clang -fsanitize=fuzzer build/fuzz-probe.c -o build/fuzz-probe 2>/dev/null; then
    rm -f build/fuzz-probe.c build/fuzz-probe
    # A target with an open known bug (regressions/<t>/known-bug-*) finds it
    # again within seconds; its smoke crash is reported, not counted, until
    # the bug is fixed.  Every other target must survive its 5 seconds.
    for src in $here/fuzz_*.c; do
        t=$(basename "$src" .c)
        if FUZZ_RECORD=0 FUZZ_TARGETS=$t sh $here/run.sh 5 >build/fuzz/smoke-$t.log 2>&1; then
            grep '^fuzz: ' build/fuzz/smoke-$t.log | tail -1
        elif ls $here/regressions/$t/known-bug-* >/dev/null 2>&1; then
            echo "fuzz: $t: smoke run failed; KNOWN-BUG open for $t (build/fuzz/smoke-$t.log)"
        else
            cat build/fuzz/smoke-$t.log
            echo "FAILED: fuzz smoke run of $t"
            fail=1
        fi
    done
else
    rm -f build/fuzz-probe.c build/fuzz-probe
    echo "fuzz: clang with libFuzzer not available; 5-second smoke runs skipped"
fi
exit $fail
