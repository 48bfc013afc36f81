#!/bin/sh
# Build dist/TA-dnsjoin-<version>.tar.gz from the repository.
#   sh tests/app/package.sh [BIN_DIR] [OUT_DIR]
# BIN_DIR (default bin) supplies bin/dnsjoin and bin/dnsmasq_log when they are
# built; OUT_DIR defaults to dist. Prints the package path on the last line.
# The release build (tests/release/release.mk) also sets:
#   PKG_BIN_DIR   folder of the app the binaries go to (default bin)
#   PKG_SUFFIX    added to the package name (-linux-aarch64)
#   PKG_LICENSES  a build/static/<arch> folder: its licenses/ (the licence
#                 texts of what is linked in) and VERSIONS go to licenses/
#
# The app folder is staged with its final modes and archived with
# root ownership, sorted names and a fixed mtime, so the same tree gives the
# same bytes. Only what Splunk needs is copied: never hidden files, tests,
# sources, build output or bin/scpdrive (a development tool).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-bin}
out=${2:-dist}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
case $out in /*) ;; *) out=$root/$out ;; esac
app=TA-dnsjoin

bindir=${PKG_BIN_DIR:-bin}
suffix=${PKG_SUFFIX:-}
licenses=${PKG_LICENSES:-}
case $licenses in ''|/*) ;; *) licenses=$root/$licenses ;; esac

version=$(sed -n '/^\[launcher\]/,/^\[/s/^version[ \t]*=[ \t]*//p' "$root/default/app.conf" | head -n 1)
[ -n "$version" ] || { echo "package: no [launcher] version in default/app.conf" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/dnsjoin-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
dst=$stage/$app
mkdir -p "$dst"

# Copy a tree without hidden entries (files or folders starting with '.').
copy_tree() {
    [ -d "$root/$1" ] || return 0
    (cd "$root" && find "$1" -name '.*' -prune -o -type f -print) | while IFS= read -r f; do
        mkdir -p "$dst/$(dirname "$f")"
        cp "$root/$f" "$dst/$f"
    done
}

cp "$root/app.manifest" "$root/README.md" "$dst/"
[ -f "$root/LICENSE" ] && cp "$root/LICENSE" "$dst/"
for d in default metadata README lookups static; do
    copy_tree "$d"
done
rm -f "$dst/lookups/SOURCES"  # where the lookups come from: for maintainers, not a lookup
# The setup page: appserver/src/ is bundled by npm into appserver/static/
# (sh tests/app/build_setup.sh); only static/ and the view's templates/ ship,
# never the sources, node_modules or package.json.
if [ -f "$root/appserver/package.json" ]; then
    sh "$here/build_setup.sh" >&2 || exit 1
fi
copy_tree appserver/static
copy_tree appserver/templates

if [ -n "$licenses" ]; then
    [ -f "$licenses/VERSIONS" ] || { echo "package: $licenses/VERSIONS is missing" >&2; exit 1; }
    mkdir -p "$dst/licenses"
    cp "$licenses"/licenses/* "$dst/licenses/"
    cp "$licenses/VERSIONS" "$dst/licenses/VERSIONS.txt"
fi

for b in dnsjoin dnsmasq_log; do
    if [ -f "$bin/$b" ]; then
        mkdir -p "$dst/$bindir"
        cp "$bin/$b" "$dst/$bindir/$b"
    else
        echo "package: $bin/$b is not built; the package will not contain it" >&2
    fi
done

# Final modes: directories 0755, files 0644, the binaries 0755.
find "$dst" -type d -exec chmod 0755 {} +
find "$dst" -type f -exec chmod 0644 {} +
[ -d "$dst/$bindir" ] && find "$dst/$bindir" -type f -exec chmod 0755 {} +

# Reproducible timestamp: the last commit, unless SOURCE_DATE_EPOCH says otherwise.
mtime=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}
mkdir -p "$out"
pkg=$out/$app-$version$suffix.tar.gz
tar --owner=0 --group=0 --numeric-owner --sort=name --mtime="@$mtime" \
    --format=gnu -C "$stage" -cf - "$app" | gzip -n -9 > "$pkg.tmp"
mv "$pkg.tmp" "$pkg"
echo "$pkg"
