#!/bin/sh
# Build the setup page bundle appserver/static/setup.js from appserver/src/
# with esbuild, installing appserver/package-lock.json's exact versions into
# appserver/node_modules first when they are missing or out of date.
# Needs Node.js 18+ and npm (Debian: apt-get install nodejs npm); the first
# run needs the npm registry.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
app=$(cd "$here/../.." && pwd)/appserver

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "package: Node.js and npm are needed to build the setup page (appserver/src/ into appserver/static/setup.js): apt-get install nodejs npm" >&2
    exit 1
fi
stamp=$app/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ "$app/package-lock.json" -nt "$stamp" ]; then
    echo "package: installing the setup page's npm packages under appserver/node_modules"
    to=""; command -v timeout >/dev/null 2>&1 && to="timeout 600"
    (cd "$app" && $to npm ci --no-audit --no-fund --loglevel=error) ||
        { echo "package: npm ci in appserver/ failed: the setup page cannot be built" >&2; exit 1; }
fi
(cd "$app" && node build.mjs) || { echo "package: building appserver/static/setup.js failed" >&2; exit 1; }
[ -s "$app/static/setup.js" ] || { echo "package: appserver/static/setup.js was not written" >&2; exit 1; }
