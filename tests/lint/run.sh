#!/bin/sh
# make lint: clang-tidy and cppcheck over c_src/ with the Makefile's -I/-D
# flags and the checked-in configuration (.clang-tidy, tests/lint/cppcheck.cfg,
# tests/lint/suppressions).  Prints every finding and a count per file and
# checker; exits 1 when there is any finding, 2 when a tool is missing.
#
#   sh tests/lint/run.sh [FILE.c ...]      (from the repository root)
set -u
out=build/lint
mkdir -p "$out"
for tool in clang-tidy cppcheck; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "lint: $tool not found (Debian: apt-get install clang-tidy cppcheck)" >&2
        exit 2
    fi
done
cppflags=$(make -pnq 2>/dev/null | sed -n 's/^CPPFLAGS = //p' | head -1)
[ -n "$cppflags" ] || cppflags="-Ic_src -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE"
if [ $# -gt 0 ]; then
    files="$*"
else
    files=$(find c_src -name '*.c' | sort)
fi

# one process per file, so a crash of the tool names the file, as many at
# once as there are processors; the reports are joined in file order
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
rm -rf "$out/tidy.d"; mkdir -p "$out/tidy.d"
for f in $files; do echo "$f"; done |
    CPPFLAGS_LINT="$cppflags" OUT_D="$out/tidy.d" xargs -P "$jobs" -I{} sh -c \
        'clang-tidy --quiet "$1" -- -std=c11 $CPPFLAGS_LINT > "$OUT_D/$(echo "$1" | tr / _).txt" 2>/dev/null' sh {}
: > "$out/tidy.txt"
for f in $files; do cat "$out/tidy.d/$(echo "$f" | tr / _).txt" >> "$out/tidy.txt"; done
# keep the finding lines (file:line:col: warning|error: text [check]);
# build/lint/tidy.txt has the full report with the analyzer's paths
here=$(pwd)
grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$out/tidy.txt" |
    sed "s|^$here/||" | sort -u > "$out/tidy-findings.txt"

cppcheck --quiet -j "$jobs" --std=c11 --language=c $cppflags --library=posix \
    --library=tests/lint/cppcheck.cfg \
    --enable=warning,portability,performance --inline-suppr \
    --suppressions-list=tests/lint/suppressions \
    --template='{file}:{line}:{column}: {severity}: {message} [cppcheck-{id}]' \
    $files 2>"$out/cppcheck.txt" >/dev/null
grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "$out/cppcheck.txt" | sed "s|^$here/||" |
    sort -u > "$out/cppcheck-findings.txt"

cat "$out/tidy-findings.txt" "$out/cppcheck-findings.txt" > "$out/findings.txt"
n=$(wc -l < "$out/findings.txt")
if [ "$n" -eq 0 ]; then
    echo "lint: clean (clang-tidy, cppcheck)"
    exit 0
fi
cat "$out/findings.txt"
echo
echo "lint: $n findings; per file and checker:"
sed -E 's/^([^:]+):[0-9]+:[0-9]+: .*\[([^]]+)\]$/\1 \2/' "$out/findings.txt" |
    sort | uniq -c | sort -k2
exit 1
