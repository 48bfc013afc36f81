#!/bin/sh
# Build the static libraries the release binaries link, for one architecture,
# from the Debian source packages of the release this machine runs:
#   sh tests/release/static_deps.sh x86_64|aarch64 [BUILD_DIR]
#
# Output, under BUILD_DIR/static/<arch>/ (BUILD_DIR defaults to build):
#   prefix/        include/ and lib/ with libjansson.a, libcurl.a and the
#                  mbedTLS libraries (libmbedtls.a, libmbedx509.a,
#                  libmbedcrypto.a); for aarch64 also musl itself, with the
#                  compiler wrapper prefix/bin/musl-gcc
#   cc             the compiler command (one line) that targets musl
#   VERSIONS       the exact Debian source versions built, and the compilers
#   licenses/      the licence text of every component linked in
# A second run with the same source versions does nothing (the stamp is
# VERSIONS itself); a new Debian version rebuilds.
#
# Only what the commands use is built: libcurl speaks HTTP and HTTPS
# (mbedTLS) and nothing else, and has no default CA file or directory, so
# certificates are checked against dnsjoin.conf's ca_file only.
set -eu

arch=${1:?usage: static_deps.sh x86_64|aarch64 [BUILD_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${2:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac

case $arch in
x86_64)  triplet=x86_64-linux-gnu;  need="musl-tools musl-dev" ;;
aarch64) triplet=aarch64-linux-gnu; need="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;;
*) echo "static_deps: unknown architecture '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac
need="$need gcc make cmake python3 dpkg-dev ca-certificates"
PKGS="musl mbedtls curl jansson"

# --- packages and deb-src -------------------------------------------------
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "static_deps: installing$missing"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null ||
            { apt-get update -q >/dev/null &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null; }
    else
        echo "static_deps: missing packages:$missing" >&2
        echo "static_deps: run: sudo apt-get install -y$missing" >&2
        exit 1
    fi
fi

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ -z "$(apt-cache showsrc jansson 2>/dev/null | head -n 1)" ]; then
    srcfile=/etc/apt/sources.list.d/debian-src.sources
    lines="Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    if [ "$(id -u)" = 0 ] && [ -n "$codename" ]; then
        echo "static_deps: adding deb-src lines in $srcfile"
        printf '%s\n' "$lines" > "$srcfile"
        apt-get update -q >/dev/null
    else
        echo "static_deps: apt has no deb-src line; as root, write this to $srcfile" >&2
        printf '%s\n' "$lines" >&2
        echo "static_deps: then run: sudo apt-get update" >&2
        exit 1
    fi
fi

# --- what would be built ----------------------------------------------------
srcver() { apt-cache showsrc "$1" | sed -n 's/^Version: //p' | sort -V | tail -n 1; }
out=$build/static/$arch
mkdir -p "$out"
want=$(mktemp)
trap 'rm -f "$want"' EXIT
{
    echo "# Debian source packages (release $codename) built into the $arch release binaries"
    for p in $PKGS; do echo "$p $(srcver "$p")"; done
    echo "# build recipe (cksum of tests/release/static_deps.sh)"
    echo "recipe $(cksum < "$0" | cut -d' ' -f1)"
    echo "# compilers"
    echo "gcc $($triplet-gcc -dumpfullversion) ($triplet-gcc)"
    [ "$arch" = x86_64 ] && echo "musl-dev $(dpkg-query -W -f='${Version}' musl-dev) (libc.a of the Debian binary package)"
} > "$want"
if cmp -s "$want" "$out/VERSIONS" && [ -f "$out/prefix/lib/libcurl.a" ] && [ -f "$out/cc" ]; then
    echo "static_deps: $arch is up to date ($out)"
    exit 0
fi
echo "static_deps: building for $arch into $out"
rm -rf "$out/prefix" "$out/work" "$out/licenses" "$out/VERSIONS" "$out/cc"
mkdir -p "$out/prefix/lib" "$out/prefix/include" "$out/work" "$out/licenses"
pre=$out/prefix
jobs=$(nproc 2>/dev/null || echo 2)

# --- sources: apt-get source, Debian's patches applied by dpkg-source ------
src=$build/static/src
mkdir -p "$src"
for p in $PKGS; do
    v=$(srcver "$p")
    uv=${v#*:}; uv=${uv%-*}
    if [ ! -f "$src/$p.$v.ok" ]; then
        (cd "$src" && apt-get source -q -o APT::Sandbox::User=root --download-only "$p=$v" >/dev/null)
        touch "$src/$p.$v.ok"
    fi
    dsc=$(ls "$src/${p}_${v#*:}.dsc")
    (cd "$out/work" && dpkg-source -q --no-check -x "$dsc" "$p" >/dev/null 2>&1)
done
log=$out/build.log
: > "$log"
run() { "$@" >> "$log" 2>&1 || { echo "static_deps: failed: $* (see $log)" >&2; tail -n 30 "$log" >&2; exit 1; }; }

# --- musl ---------------------------------------------------------------------
if [ "$arch" = x86_64 ]; then
    cc="musl-gcc"
else
    (cd "$out/work/musl" &&
        run ./configure --target=$triplet --prefix="$pre" --disable-shared \
            CC=$triplet-gcc CROSS_COMPILE=$triplet- CFLAGS="-O2" &&
        run make -j"$jobs" && run make install)
    cc="$pre/bin/musl-gcc"
fi
cp "$out/work/musl/COPYRIGHT" "$out/licenses/musl.COPYRIGHT"
CC=$cc
host=$arch-linux-musl
OPTF="-O2 -fno-plt -ffunction-sections -fdata-sections"

# --- mbedTLS: the library only (no programs, no tests) -------------------
# Thread-safe, as Debian builds it (libcurl's resolver runs in a thread).
(cd "$out/work/mbedtls" &&
    run python3 scripts/config.py set MBEDTLS_THREADING_C &&
    run python3 scripts/config.py set MBEDTLS_THREADING_PTHREAD)
(cd "$out/work/mbedtls/library" &&
    run make -j"$jobs" CC="$CC" AR="$triplet-ar" CFLAGS="$OPTF -I../include" static)
cp "$out/work/mbedtls/library/"libmbed*.a "$pre/lib/"
cp -r "$out/work/mbedtls/include/mbedtls" "$out/work/mbedtls/include/psa" "$pre/include/"
cp "$out/work/mbedtls/LICENSE" "$out/licenses/mbedtls.LICENSE"

# --- jansson (its Debian source builds with CMake) -------------------------
mkdir -p "$out/work/jansson/_b"
(cd "$out/work/jansson/_b" &&
    run cmake .. -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=$arch \
        -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$OPTF" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$pre" -DCMAKE_INSTALL_LIBDIR=lib \
        -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF \
        -DJANSSON_EXAMPLES=OFF -DJANSSON_WITHOUT_TESTS=ON &&
    run make -j"$jobs" && run make install)
cp "$out/work/jansson/LICENSE" "$out/licenses/jansson.LICENSE"

# --- curl: HTTP and HTTPS over mbedTLS, nothing else -----------------------
(cd "$out/work/curl" &&
    run ./configure --host=$host --prefix="$pre" --disable-shared --enable-static \
        CC="$CC" CFLAGS="$OPTF" CPPFLAGS="-I$pre/include" LDFLAGS="-L$pre/lib" \
        --with-mbedtls="$pre" --without-openssl --without-gnutls --without-wolfssl \
        --without-rustls --without-bearssl --without-nss \
        --without-ca-bundle --without-ca-path --without-ca-fallback \
        --without-zlib --without-brotli --without-zstd --without-libidn2 \
        --without-libpsl --without-nghttp2 --without-ngtcp2 --without-nghttp3 \
        --without-quiche --without-msh3 --without-libssh2 --without-libssh \
        --without-librtmp --without-gssapi --without-libgsasl --without-hyper \
        --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet \
        --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
        --disable-gopher --disable-mqtt --disable-ftp --disable-file \
        --disable-manual --disable-ntlm --disable-ntlm-wb --disable-kerberos-auth \
        --disable-negotiate-auth --disable-aws --disable-cookies --disable-netrc \
        --disable-alt-svc --disable-hsts --disable-doh --disable-mime \
        --disable-unix-sockets --disable-dateparse \
        --disable-progress-meter --disable-sspi --disable-tls-srp \
        --enable-threaded-resolver --enable-ipv6 &&
    run make -j"$jobs" -C lib && run make -C lib install && run make -C include install)
cp "$out/work/curl/COPYING" "$out/licenses/curl.COPYING"
grep -E '^#define (USE_MBEDTLS|CURL_DISABLE_LDAP|CURL_CA_BUNDLE|CURL_CA_PATH|USE_NGHTTP2|HAVE_ZSTD|HAVE_BROTLI|USE_LIBIDN2) ' \
    "$out/work/curl/lib/curl_config.h" > "$out/curl_features.txt" || true

echo "$CC" > "$out/cc"
mv "$want" "$out/VERSIONS"
trap - EXIT
rm -rf "$out/work"
echo "static_deps: $arch done"
cat "$out/VERSIONS"
