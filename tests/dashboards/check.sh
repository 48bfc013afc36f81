#!/bin/sh
# The two Dashboard Studio views rendered in headless Chromium by Splunk's
# dashboard framework (@splunk/dashboard-core, Enterprise view-only preset),
# every data source answered from the add-on's commands run by bin/scpdrive
# over the 7-day story (bench/gen_story.c). Run by `make test` as:
#   sh tests/dashboards/check.sh BIN_DIR
# First spl.test.mjs (the SPL translation's cases), then run.mjs (what it
# covers and what not is at its top). PNGs: build/dashboards/<view>.png.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-bin}
[ $# -gt 0 ] && shift   # further arguments: view files instead of default/data/ui/views/*.xml
case $bin in /*) ;; *) bin=$root/$bin ;; esac

if [ ! -d "$bin" ] || [ "$(cd "$bin" && pwd)" != "$root/bin" ]; then
    echo "SKIP: browser suite runs on the default build only"; exit 0
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: Node.js/npm not found (apt-get install nodejs npm)"; exit 0
fi
if [ ! -x /usr/bin/chromium ]; then
    echo "SKIP: /usr/bin/chromium not found (apt-get install chromium)"; exit 0
fi
for p in scpdrive dnsjoin; do
    [ -x "$bin/$p" ] || { echo "FAIL: $bin/$p not built (make)"; exit 1; }
done
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || { echo "FAIL: no C compiler for bench/gen_story.c"; exit 1; }

if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    echo "-- installing the dashboard framework under tests/dashboards/node_modules"
    to=""; command -v timeout >/dev/null 2>&1 && to="timeout 600"
    if ! (cd "$here" && $to npm ci --no-audit --no-fund --loglevel=error); then
        echo "SKIP: npm ci of the dashboard packages failed (is the npm registry reachable?)"; exit 0
    fi
fi

to=""; command -v timeout >/dev/null 2>&1 && to="timeout"
echo "-- SPL translation cases (spl.test.mjs)"
(cd "$here" && ${to:+$to 60} node --test spl.test.mjs) >"${TMPDIR:-/tmp}/dnsjoin-spltest.$$" 2>&1
rc=$?
grep -E '^# (tests|pass|fail)' "${TMPDIR:-/tmp}/dnsjoin-spltest.$$"
if [ $rc -ne 0 ]; then
    cat "${TMPDIR:-/tmp}/dnsjoin-spltest.$$"; rm -f "${TMPDIR:-/tmp}/dnsjoin-spltest.$$"
    echo "FAIL: spl.test.mjs"; exit 1
fi
rm -f "${TMPDIR:-/tmp}/dnsjoin-spltest.$$"

out=$root/build/dashboards
mkdir -p "$out"
echo "-- story"
"$cc" -std=c11 -O2 -o "$out/gen_story" "$root/bench/gen_story.c" || { echo "FAIL: cannot build gen_story"; exit 1; }
"$out/gen_story" --truth "$out/story.truth" >"$out/story.csv" || { echo "FAIL: gen_story"; exit 1; }

echo "-- dashboards in headless Chromium"
(cd "$here" && ${to:+$to 300} node run.mjs "$root" "$bin" "$out/story.csv" "$out/story.truth" "$out" "$@")
rc=$?
rm -f "$out/story.csv"
[ $rc -eq 0 ] || echo "FAIL: tests/dashboards/run.mjs (exit $rc)"
exit $rc
