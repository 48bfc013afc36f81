#!/bin/sh
# Release checks, run by `make check-release` after `make package`:
#   GEN_STORY=build/gen_story sh tests/release/run.sh [x86_64] [aarch64]
# For each architecture (default: both):
#  1. the binaries: static (no dynamic section, no interpreter, no NEEDED),
#     stripped, of the right machine; the package holds exactly them, where
#     splunkd looks, with the licence texts and the source versions;
#  2. an empty root (chroot: only the binary and a recording, plus qemu for
#     aarch64): `dnsjoin passthrough` returns every row of a real splunkd
#     recording byte for byte, and `dnsmasq_log --scheme` prints its scheme;
#  3. a Debian 11 minbase root (debootstrap bullseye, cached under
#     build/roots/): the same, `dnsjoin join` on the story, and all of it
#     again with LD_LIBRARY_PATH at broken libssl/libcrypto/libcurl/libjansson;
#  4. the suites against the static binaries: every cmocka suite and script
#     suite for x86_64; the protocol, join, story, KV store/TLS and modular
#     input suites for aarch64 under qemu-user.
# Needs root for chroot (or SKIPs sections 2-3 with a message), readelf,
# python3, and debootstrap with network access on the first run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1
arches=${*:-x86_64 aarch64}
version=$(sed -n '/^\[launcher\]/,/^\[/s/^version[ \t]*=[ \t]*//p' default/app.conf | head -n 1)
rec=../shared/recordings/countmatches.input.gz
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnsjoin-release.XXXXXX")
fail=0
cleanup() { [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
skip() { echo "SKIP $*"; }

can_chroot=0
if [ "$(id -u)" = 0 ] && command -v chroot >/dev/null 2>&1; then
    can_chroot=1
else
    skip "not root: the empty-root and Debian 11 checks need chroot"
fi

# The story, and what the dynamic build makes of it (the suites check that).
"${GEN_STORY:-build/gen_story}" --truth "$tmp/story.truth" > "$tmp/story.csv" ||
    { bad "gen_story failed"; exit 1; }
truth() { sed -n "s/^$1=//p" "$tmp/story.truth"; }
STORY_FIELDS=_time,sourcetype,src_ip,dest_ip,dest_port,action,dns_query,dns_match,dns_age,tunnel
bin/scpdrive --args window=1h --no-mv --fields $STORY_FIELDS "$tmp/story.csv" -- bin/dnsjoin join \
    > "$tmp/story.dynamic" 2>/dev/null || { bad "the dynamic build failed on the story"; exit 1; }

have_rec=0
if [ -f "$rec" ]; then
    have_rec=1
    gzip -dc "$rec" > "$tmp/rec.in"
    bin/dnsjoin passthrough < "$tmp/rec.in" > "$tmp/rec.dynamic" 2>/dev/null
else
    skip "../shared/recordings is absent: the recording checks are not run"
fi

# check_story FILE WHERE: the join's output on the story is the dynamic
# build's, and says what the generator did.
check_story() {
    if cmp -s "$1" "$tmp/story.dynamic"; then
        ok "$2: dnsjoin join on the story: the same bytes as the dynamic build"
    else
        bad "$2: dnsjoin join on the story differs from the dynamic build"
    fi
    got=$(awk -F, -v h="$(truth host)" -v d="$(truth domain)" -v ip="$(truth primary)" \
        '$3 == h && $4 == ip && $7 == d && $8 == "client"' "$1" | wc -l | tr -d ' ')
    if [ "$got" = "$(truth packets_primary)" ]; then
        ok "$2: $got packets to $(truth primary) joined to $(truth domain), as generated"
    else
        bad "$2: $got packets joined to $(truth domain), the generator sent $(truth packets_primary)"
    fi
}

# check_rec OUT WHERE: passthrough's replies to the recording.
check_rec() {
    if msg=$(python3 "$here/scp_rows.py" "$tmp/rec.in" "$1" 2>&1); then
        ok "$2: dnsjoin passthrough on a real splunkd recording: $msg"
    else
        bad "$2: dnsjoin passthrough on a real splunkd recording: $msg"
    fi
    cmp -s "$1" "$tmp/rec.dynamic" && ok "$2: the same bytes as the dynamic build" ||
        bad "$2: passthrough's replies differ from the dynamic build's"
}

check_scheme() {
    if python3 -c 'import sys, xml.etree.ElementTree as E
r = E.fromstring(sys.stdin.read())
a = [x.get("name") for x in r.iter("arg")]
assert r.tag == "scheme" and "path" in a, a' < "$1" 2>/dev/null; then
        ok "$2: dnsmasq_log --scheme prints its scheme"
    else
        bad "$2: dnsmasq_log --scheme: $(head -c 200 "$1")"
    fi
}

# A folder of libraries that break any program that loads them.
mkbroken() {
    mkdir -p "$1"
    for l in libssl.so.3 libcrypto.so.3 libcurl.so.4 libjansson.so.4; do
        printf 'not a shared library\n' > "$1/$l"
    done
}

# bullseye root: made once, kept under build/roots/ (about 3 minutes; .ci/run
# starts it in the background, and this waits for it)
bullseye=$root/build/roots/bullseye
ensure_bullseye() {
    command -v debootstrap >/dev/null 2>&1 || {
        echo "release: debootstrap is missing; run: sudo apt-get install -y debootstrap" >&2
        return 1; }
    ROOTS=$root/build/roots sh "$root/tests/roots.sh" bullseye
}

for arch in $arches; do
    echo "== $arch"
    rel=build/static/$arch/release
    case $arch in
    x86_64)
        machine="Advanced Micro Devices X86-64"; run=""; pkg=dist/TA-dnsjoin-$version.tar.gz
        pkgbin=linux_x86_64/bin ;;
    aarch64)
        machine="AArch64"; run=qemu-aarch64-static; pkg=dist/TA-dnsjoin-$version-linux-aarch64.tar.gz
        pkgbin=bin
        command -v qemu-aarch64-static >/dev/null 2>&1 || {
            bad "qemu-aarch64-static is missing; run: sudo apt-get install -y qemu-user-static"
            continue; } ;;
    *) bad "unknown architecture $arch"; continue ;;
    esac
    qemu=""
    [ -n "$run" ] && qemu=$(command -v "$run")

    # ---- 1. the binaries and the package
    for b in dnsjoin dnsmasq_log; do
        f=$rel/$b
        [ -f "$f" ] || { bad "$f is not built (make package)"; continue; }
        if readelf -d "$f" 2>&1 | grep -q 'There is no dynamic section' &&
            ! readelf -l "$f" | grep -q INTERP; then
            ok "$b: static, no interpreter, no NEEDED entry"
        else
            bad "$b: not static: $(readelf -d "$f" | grep NEEDED | tr -s ' ' | head -3)"
        fi
        if readelf -S "$f" | grep -qE '\.symtab|\.debug'; then
            bad "$b: not stripped"
        else
            ok "$b: stripped ($(wc -c < "$f" | tr -d ' ') bytes)"
        fi
        if readelf -h "$f" | grep -q "Machine: *$machine"; then
            ok "$b: $machine"
        else
            bad "$b: wrong machine: $(readelf -h "$f" | sed -n 's/.*Machine: *//p')"
        fi
    done
    if [ -f "$pkg" ]; then
        list=$(tar tzvf "$pkg")
        for b in dnsjoin dnsmasq_log; do
            if echo "$list" | grep -qE "^-rwxr-xr-x .* TA-dnsjoin/$pkgbin/$b\$"; then
                tar xzf "$pkg" -O "TA-dnsjoin/$pkgbin/$b" | cmp -s - "$rel/$b" &&
                    ok "package: $pkgbin/$b, 0755, the stripped static binary" ||
                    bad "package: $pkgbin/$b is not $rel/$b"
            else
                bad "package: no 0755 TA-dnsjoin/$pkgbin/$b"
            fi
        done
        n=$(echo "$list" | grep -cE 'TA-dnsjoin/([a-z0-9_]+/)?bin/.' )
        [ "$n" = 2 ] && ok "package: no other binary" || bad "package: $n files in bin folders"
        for l in LICENSE licenses/musl.COPYRIGHT licenses/mbedtls.LICENSE licenses/curl.COPYING \
                 licenses/jansson.LICENSE licenses/VERSIONS.txt; do
            echo "$list" | grep -q " TA-dnsjoin/$l\$" || bad "package: no $l"
        done
        tar xzf "$pkg" -O TA-dnsjoin/licenses/VERSIONS.txt | grep -q "^curl " &&
            ok "package: LICENSE, the licence of musl, mbedTLS, curl, jansson, VERSIONS.txt"
        if python3 tests/app/check_app.py "$pkg" > "$tmp/check_app.$arch" 2>&1; then
            ok "package: every rule of tests/app/check_app.py"
        else
            bad "package: tests/app/check_app.py:"; grep -E 'FAIL' "$tmp/check_app.$arch" | head
        fi
    else
        bad "$pkg is missing (make package)"
    fi

    # The suites' view of a release build: an app folder, so that the
    # binaries find lookups/ and default/ as they do inside Splunk.
    suite=$tmp/suite-$arch
    mkdir -p "$suite/bin" "$suite/qbin"
    ln -s "$root/lookups" "$suite/lookups"
    ln -s "$root/default" "$suite/default"
    cp "$rel/dnsjoin" "$rel/dnsmasq_log" "$suite/bin/"
    cp build/static/x86_64/bin/scpdrive "$suite/bin/scpdrive" 2>/dev/null || cp bin/scpdrive "$suite/bin/"
    ln -s ../bin/scpdrive "$suite/qbin/scpdrive"
    for b in dnsjoin dnsmasq_log; do
        printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$run" "$suite/bin/$b" > "$suite/qbin/$b"
        chmod 0755 "$suite/qbin/$b"
    done

    # ---- 2. an empty root
    if [ $can_chroot = 1 ]; then
        er=$tmp/empty-$arch
        mkdir -p "$er"
        cp "$rel/dnsjoin" "$rel/dnsmasq_log" "$er/"
        [ -n "$qemu" ] && cp "$qemu" "$er/qemu"
        q=""; [ -n "$qemu" ] && q=/qemu
        if [ $have_rec = 1 ]; then
            cp "$tmp/rec.in" "$er/rec.in"
            chroot "$er" $q /dnsjoin passthrough < "$er/rec.in" > "$tmp/rec.empty" 2> "$tmp/rec.empty.err"
            check_rec "$tmp/rec.empty" "empty root"
        fi
        chroot "$er" $q /dnsmasq_log --scheme > "$tmp/scheme.empty" 2>&1
        check_scheme "$tmp/scheme.empty" "empty root"
        echo "   (the empty root held: $(cd "$er" && ls | tr '\n' ' '))"
    fi

    # ---- 3. Debian 11, then the same with hostile libraries
    if [ $can_chroot = 1 ]; then
        if ensure_bullseye; then
            d=/opt/dnsjoin-release-test/$arch
            rm -rf "$bullseye/opt/dnsjoin-release-test/$arch"
            mkdir -p "$bullseye$d"
            cp "$rel/dnsjoin" "$rel/dnsmasq_log" "$bullseye$d/"
            q=""
            if [ -n "$qemu" ]; then cp "$qemu" "$bullseye$d/qemu"; q=$d/qemu; fi
            mkbroken "$bullseye$d/broken"
            glibc=$(chroot "$bullseye" /usr/bin/ldd --version 2>/dev/null | head -n 1 | sed 's/.* //')
            for env in plain hostile; do
                where="Debian 11 (glibc $glibc)"
                set --
                if [ $env = hostile ]; then
                    where="$where, LD_LIBRARY_PATH at broken libraries"
                    set -- env LD_LIBRARY_PATH=$d/broken
                fi
                if [ $have_rec = 1 ]; then
                    "$@" chroot "$bullseye" $q $d/dnsjoin passthrough < "$tmp/rec.in" \
                        > "$tmp/rec.b" 2> "$tmp/rec.b.err"
                    check_rec "$tmp/rec.b" "$where"
                fi
                "$@" chroot "$bullseye" $q $d/dnsmasq_log --scheme > "$tmp/scheme.b" 2>&1
                check_scheme "$tmp/scheme.b" "$where"
                bin/scpdrive --args window=1h --no-mv --fields $STORY_FIELDS "$tmp/story.csv" -- \
                    "$@" chroot "$bullseye" $q $d/dnsjoin join > "$tmp/story.b" 2> "$tmp/story.b.err"
                check_story "$tmp/story.b" "$where"
            done
            # Controls: the folder does break a program that loads it, and
            # the dynamic build does not start on Debian 11.
            if LD_LIBRARY_PATH=$bullseye$d/broken bin/dnsjoin passthrough < /dev/null > /dev/null 2>&1; then
                bad "control: the dynamic build ran with the broken libraries (the test proves nothing)"
            else
                ok "control: the dynamic build does not start with the broken libraries"
            fi
            if [ $arch = x86_64 ]; then
                cp bin/dnsjoin "$bullseye$d/dnsjoin.dynamic"
                if chroot "$bullseye" $d/dnsjoin.dynamic passthrough < /dev/null > "$tmp/dyn.b" 2>&1; then
                    bad "control: the dynamic build started on Debian 11 (the test proves nothing)"
                else
                    ok "control: the dynamic build does not start on Debian 11: $(head -c 120 "$tmp/dyn.b")"
                fi
            fi
        else
            bad "no Debian 11 root (debootstrap failed)"
        fi
    fi

    # ---- 4. the suites against the static binaries
    if [ $arch = x86_64 ]; then
        echo "-- every cmocka suite, with DNSJOIN_BIN at the static x86_64 binaries"
        GEN_STORY=${GEN_STORY:-build/gen_story} sh tests/run_unit.sh build/tests "$suite/bin" \
            > "$tmp/unit.$arch" 2>&1 && ok "x86_64: cmocka suites" ||
            { bad "x86_64: cmocka suites"; grep -E 'FAILED|ERROR' "$tmp/unit.$arch" | head -20; }
        grep -h '^\[  PASSED  \]' "$tmp/unit.$arch" | awk '{ n += $4 } END { print "   " n " tests passed" }'
        # one real-dnsmasq release (trixie) is enough here: make test ran both
        for s in tests/kv/check.sh tests/dnsmasq/check.sh; do
            REAL_SUITES=trixie sh "$s" "$suite/bin" > "$tmp/s.out" 2>&1 && ok "x86_64: $s ($(grep -c '^ok' "$tmp/s.out") checks)" ||
                { bad "x86_64: $s"; grep -E '^FAIL' "$tmp/s.out" | head; }
        done
    else
        echo "-- protocol, join and story suites, and the script suites, under $run"
        for t in test_protocol test_join test_story test_conservation; do
            [ -x "build/tests/$t" ] || { bad "build/tests/$t is not built"; continue; }
            t0=$(date +%s)
            DNSJOIN_BIN=$suite/qbin GEN_STORY=${GEN_STORY:-build/gen_story} "build/tests/$t" \
                > "$tmp/unit.$t" 2>&1 &&
                ok "aarch64: $t ($(sed -n 's/^\[  PASSED  \] \([0-9]*\).*/\1/p' "$tmp/unit.$t") tests, $(( $(date +%s) - t0 )) s)" ||
                { bad "aarch64: $t"; grep -E 'FAILED|ERROR|error' "$tmp/unit.$t" | head -10; }
        done
        DNSJOIN_RUNNER=$run sh tests/kv/check.sh "$suite/bin" > "$tmp/s.out" 2>&1 &&
            ok "aarch64: tests/kv/check.sh, TLS and the KV store ($(grep -c '^ok' "$tmp/s.out") checks)" ||
            { bad "aarch64: tests/kv/check.sh"; grep -E '^FAIL' "$tmp/s.out" | head; }
        REAL_SUITES=trixie sh tests/dnsmasq/check.sh "$suite/qbin" > "$tmp/s.out" 2>&1 &&
            ok "aarch64: tests/dnsmasq/check.sh, the modular input ($(grep -c '^ok' "$tmp/s.out") checks)" ||
            { bad "aarch64: tests/dnsmasq/check.sh"; grep -E '^FAIL' "$tmp/s.out" | head; }
        grep -E '^(ok|SKIP).*(real dnsmasq|dig)' "$tmp/s.out" | sed 's/^/   /'
    fi
done

[ $fail = 0 ] && echo "release: all checks passed" || echo "release: FAILED"
exit $fail
