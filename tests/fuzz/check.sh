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
#    (a smoke run that writes nothing under tests/); otherwise say so.
set -u
here=tests/fuzz
cc=${CC:-cc}
fail=0

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
    FUZZ_RECORD=0 sh $here/run.sh 5 || { echo "FAILED: fuzz smoke run"; fail=1; }
else
    rm -f build/fuzz-probe.c build/fuzz-probe
    echo "fuzz: clang with libFuzzer not available; 5-second smoke runs skipped"
fi
exit $fail
