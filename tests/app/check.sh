#!/bin/sh
# App checks, run by `make test` as: sh tests/app/check.sh BIN_DIR
# Builds the package from the binaries in BIN_DIR, checks it against every
# package rule, runs the negative tests, the search/argument-parser test and
# the field-extraction test. Exits non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-bin}
case $bin in /*) ;; *) bin=$root/$bin ;; esac

command -v python3 >/dev/null 2>&1 || { echo "app: python3 is required" >&2; exit 1; }

out=$(mktemp -d "${TMPDIR:-/tmp}/dnsjoin-app.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
fail=0

echo "-- package"
pkg=$(sh "$here/package.sh" "$bin" "$out" | tail -n 1) || { echo "FAIL: package.sh"; exit 1; }
echo "$pkg"

# Dashboard Studio validation needs Node.js and Splunk's validator and
# presets from npm (tests/app/package.json, exact versions), installed under
# tests/app/node_modules on first use and again whenever one is missing or
# at another version.
validator=""
npm_ready() {
    (cd "$here" && node -e '
        const deps = require("./package.json").dependencies;
        for (const [n, v] of Object.entries(deps)) {
            let got;
            try { got = require("./node_modules/" + n + "/package.json").version; } catch (e) {}
            if (got !== v) process.exit(1);
        }') >/dev/null 2>&1
}
if [ -n "${DNSJOIN_NO_NPM:-}" ]; then
    echo "SKIP: Studio validation disabled by DNSJOIN_NO_NPM"
elif command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    if ! npm_ready; then
        echo "-- installing the Dashboard Studio validator and presets under tests/app/node_modules"
        to=""; command -v timeout >/dev/null 2>&1 && to="timeout 300"
        (cd "$here" && $to npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
            echo "SKIP: npm install of the Dashboard Studio validator failed"
    fi
    npm_ready && validator=$here
else
    echo "SKIP: Node.js/npm not found; Dashboard Studio definitions not validated"
fi

allow=""
for b in dnsjoin dnsmasq_log; do
    [ -f "$bin/$b" ] || { echo "SKIP: $bin/$b is not built; its package rules are skipped"; allow="--allow-missing-binaries"; }
done

# The package rules and the negative tests check the app's files, not how the
# binaries were built: another bin folder (make asan) would only repeat them.
if [ "$bin" != "$root/bin" ] && [ -z "${APP_ALL:-}" ]; then
    echo "SKIP: the package rules and negative tests run with the default build only (APP_ALL=1 runs them here)"
    skip_rules=1
else
    skip_rules=0
fi

echo "-- check_app.py"
if [ $skip_rules = 1 ]; then :
elif [ -n "$validator" ]; then
    python3 "$here/check_app.py" "$pkg" $allow --studio-validator "$validator" || fail=1
else
    python3 "$here/check_app.py" "$pkg" $allow || fail=1
fi

echo "-- negative tests (one broken package per rule; PASS lines not shown)"
if [ $skip_rules = 0 ]; then
    if [ -n "$validator" ]; then
        python3 "$here/test_negative.py" "$pkg" --studio-validator "$validator" > "$out/negative.txt"
    else
        python3 "$here/test_negative.py" "$pkg" > "$out/negative.txt"
    fi
    rc=$?
    grep -v '^PASS' "$out/negative.txt"
    [ $rc = 0 ] || fail=1
fi

echo "-- shipped searches through the argument parser"
python3 "$here/test_searches.py" "$pkg" "$bin" || fail=1

echo "-- field extractions"
python3 "$here/test_props.py" "$root" || fail=1
python3 "$here/test_cim.py" "$root" "$bin" || fail=1

[ $fail = 0 ] && echo "app: all checks passed" || echo "app: FAILED"
exit $fail
