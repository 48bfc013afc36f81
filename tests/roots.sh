#!/bin/sh
# Debian minbase roots for the tests, made once by debootstrap and cached in
# build/roots/SUITE (".complete" marks a finished one):
#   bullseye        Debian 11, nothing added (the release checks' old system)
#   trixie, forky   with dnsmasq-base (tests/dnsmasq/real.sh)
#
#   sh tests/roots.sh SUITE...      make the missing ones, in parallel
#
# One lock per suite (build/roots/.SUITE.lock): a run that needs a root
# another run is making waits for it, so .ci/run can start them all in the
# background while the build and the first suites run.
# Exit status: 0 all ready; 2 when the Debian archive cannot be reached (and
# nothing else failed); 1 otherwise.  One line per failed suite on stderr,
# with the last errors of its debootstrap log.
# Environment: ROOTS (default build/roots), DEBIAN_MIRROR.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
roots=${ROOTS:-$top/build/roots}

# unmount whatever an interrupted debootstrap left mounted under DIR
umount_under() {
    awk -v d="$1/" 'index($2 "/", d) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}

# make_root SUITE: 0 ready, 1 failed, 2 archive unreachable
make_root() {
    s=$1; r=$roots/$s
    [ -f "$r/.complete" ] && return 0
    case $s in
        bullseye) include=; check=/bin/true ;;
        *) include=--include=dnsmasq-base; check="/usr/sbin/dnsmasq --version" ;;
    esac
    dlog=${TMPDIR:-/tmp}/debootstrap-$s.$$.log
    (
        flock 9
        [ -f "$r/.complete" ] && exit 0
        for d in "$r.tmp" "$r"; do
            [ -e "$d" ] && { umount_under "$d"; rm -rf --one-file-system "$d"; }
        done
        # bookworm's debootstrap has no script for releases after trixie:
        # they are made as sid is, from debootstrap's own default mirror
        script=/usr/share/debootstrap/scripts/$s
        [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
        mirror=${DEBIAN_MIRROR:-$(sed -n 's/^DEF_MIRROR="\(.*\)"$/\1/p' "$(command -v debootstrap)")}
        echo "roots: debootstrap --variant=minbase $include $s into $r (once; a few minutes)"
        # shellcheck disable=SC2086
        debootstrap --variant=minbase $include "$s" "$r.tmp" "$mirror" "$script" > "$dlog" 2>&1
        rc=$?
        umount_under "$r.tmp"
        # shellcheck disable=SC2086
        if [ $rc = 0 ] && chroot "$r.tmp" $check > /dev/null 2>&1; then :; else
            rm -rf --one-file-system "$r.tmp"
            # the archive unreachable (not: the suite or a package missing)
            wget -q -T 20 -t 2 -O /dev/null "$mirror/" || exit 2
            exit 1
        fi
        mv "$dlog" "$r.tmp/.debootstrap.log"
        touch "$r.tmp/.complete" && mv "$r.tmp" "$r"
    ) 9> "$roots/.$s.lock"
    rc=$?
    [ $rc = 0 ] ||
        echo "roots: debootstrap $s failed: $(grep -E '^[EW]:' "$dlog" 2>/dev/null | tail -2 | tr '\n' ' ')(log: $dlog)" >&2
    return $rc
}

[ $# -gt 0 ] || { echo "usage: sh tests/roots.sh SUITE..." >&2; exit 1; }
if [ "$(id -u)" != 0 ]; then echo "roots: debootstrap and chroot need root" >&2; exit 1; fi
for c in debootstrap chroot flock wget; do
    command -v $c >/dev/null 2>&1 || { echo "roots: $c not found (Debian: apt-get install -y debootstrap wget util-linux)" >&2; exit 1; }
done
mkdir -p "$roots"
pids=""
for s in "$@"; do
    make_root "$s" &
    pids="$pids $!"
done
worst=0
for p in $pids; do
    wait "$p"; rc=$?
    if [ $rc = 1 ] || { [ $rc = 2 ] && [ $worst = 0 ]; }; then worst=$rc; fi
done
exit $worst
