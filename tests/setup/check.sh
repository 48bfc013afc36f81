#!/bin/sh
# Browser tests of the setup page, run by `make test` as:
#   sh tests/setup/check.sh BIN_DIR
# Builds the package (which bundles the page with npm), unpacks it, and runs
# test.mjs: headless Chromium (/usr/bin/chromium, Debian package chromium)
# driven by playwright-core against the HTTPS splunkd stand-in standin.mjs,
# with a self-signed certificate made here by openssl.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-bin}
case $bin in /*) ;; *) bin=$root/$bin ;; esac

# The page talks to splunkd, not to the binaries: the sanitizer builds
# (make asan: another bin folder) have nothing to add here.
if [ ! -d "$bin" ] || [ "$(cd "$bin" && pwd)" != "$root/bin" ]; then
    echo "SKIP: browser suite runs on the default build only"; exit 0
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: Node.js/npm not found (apt-get install nodejs npm)"; exit 0
fi
if [ ! -x /usr/bin/chromium ]; then
    echo "SKIP: /usr/bin/chromium not found (apt-get install chromium)"; exit 0
fi
command -v openssl >/dev/null 2>&1 || { echo "setup: openssl is required" >&2; exit 1; }

if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    echo "-- installing playwright-core under tests/setup/node_modules"
    to=""; command -v timeout >/dev/null 2>&1 && to="timeout 300"
    if ! (cd "$here" && $to npm ci --no-audit --no-fund --loglevel=error); then
        echo "SKIP: npm ci of playwright-core failed (is the npm registry reachable?)"; exit 0
    fi
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/dnsjoin-setup.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

echo "-- package"
pkg=$(sh "$root/tests/app/package.sh" "$bin" "$out" 2>"$out/package.log" | tail -n 1) ||
    { cat "$out/package.log" >&2; echo "FAIL: package.sh"; exit 1; }
tar -xzf "$pkg" -C "$out" || { echo "FAIL: cannot unpack $pkg"; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$out/key.pem" -out "$out/cert.pem" >/dev/null 2>&1 ||
    { echo "FAIL: openssl could not make the test certificate"; exit 1; }

echo "-- browser tests"
to=""; command -v timeout >/dev/null 2>&1 && to="timeout 600"
(cd "$here" && $to node test.mjs "$out/TA-dnsjoin" "$out/key.pem" "$out/cert.pem")
