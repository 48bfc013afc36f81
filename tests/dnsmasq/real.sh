#!/bin/sh
# dnsmasq_log against the query logs of real newer dnsmasq builds: Debian 13
# (trixie, dnsmasq 2.91) and, when its packages install the same way, the
# next release (forky).  Each runs from a minbase root made once by
# debootstrap and cached in build/roots/SUITE (".complete" marks a finished
# one), as `chroot ROOT /usr/sbin/dnsmasq` on 127.0.0.1 high ports, with
# capture.sh's slow relay, dig clients with pinned source ports (some over
# TCP) and truth = what each dig received.  For every mode of
# --log-queries (plain, extra, proto), in production (--keep-in-foreground:
# TCP served by forked children) and debug mode (--no-daemon):
#   extra, proto: every client matched to exactly one transaction with its
#                 answer set and reply code (compare.py --exact);
#   proto:        the transport field says tcp/udp as the client used
#                 (SKIP while no event carries the field);
#   plain:        a heuristic: the match rate is reported; it fails only
#                 under PLAIN_FLOOR percent.
# Then one log that three daemons wrote in turn (plain, extra, proto), each
# part checked on the events inside its time window.
# Needs root (chroot).  SKIPs only when debootstrap cannot reach the Debian
# archive.  No /proc in the roots: dnsmasq does without; /dev/null and
# /dev/urandom are made when missing (mknod, else a bind mount, undone on exit).
# The captures do not depend on the dnsmasq_log under test: a complete set
# is kept in build/captures/SUITE-VERSION-KEY (KEY: a checksum of capture.sh,
# slowrelay.py and REAL_N) and later runs on other builds (release, qemu,
# sanitizers) parse those logs again instead of capturing anew; a fresh
# clone captures once.  REAL_FRESH=1 always captures (and renews the set).
# Usage: real.sh [BINDIR]  (BINDIR holds dnsmasq_log; default bin)
# Environment: ROOTS (default build/roots), REAL_SUITES (default
# "trixie forky"), REAL_N (clients per capture, 300), REAL_CACHE (default
# build/captures), REAL_FRESH=1, DEBIAN_MIRROR, KEEP=1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=$(cd "${1:-$top/bin}" && pwd)/dnsmasq_log
roots=${ROOTS:-$top/build/roots}
suites=${REAL_SUITES:-trixie forky}
nq=${REAL_N:-300}
cachetop=${REAL_CACHE:-$top/build/captures}
floor=${PLAIN_FLOOR:-50}
npass=0; nfail=0; nskip=0
ok()   { echo "ok   $*"; npass=$((npass + 1)); }
bad()  { echo "FAIL $*"; nfail=$((nfail + 1)); }
skip() { echo "SKIP $*"; nskip=$((nskip + 1)); }
note() { echo "note $*"; }

mounts=""; works=""; cpid=""
cleanup() {
    [ -n "$cpid" ] && { kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null; }
    # daemons of a capture that could not stop them itself
    for w in $works; do
        for p in "$w"/*/front.pid "$w"/*/up.pid "$w"/*/relay.pid; do
            [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
        done
    done
    for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
    mounts=""
    for w in $works; do
        if [ -n "${KEEP:-}" ]; then echo "kept $w"; else rm -rf "$w"; fi
    done
    works=""
}
trap cleanup EXIT
trap 'exit 1' INT TERM

summary() {
    echo "real dnsmasq: $npass ok, $nfail FAIL, $nskip SKIP"
    [ "$nfail" = 0 ]
}

if [ "$(id -u)" != 0 ]; then
    bad "real dnsmasq 2.91+: chroot needs root (run make test as root)"; summary; exit
fi
sh "$top/tests/deps.sh" debootstrap bind9-dnsutils || {
    bad "real dnsmasq 2.91+: cannot install debootstrap and dig (bind9-dnsutils)"; summary; exit; }
for c in debootstrap wget dig python3 chroot flock; do
    command -v $c >/dev/null 2>&1 || { bad "real dnsmasq 2.91+: $c not found"; summary; exit; }
done
[ -x "$bin" ] || { bad "real dnsmasq 2.91+: no $bin"; summary; exit; }

# make_root SUITE: 0 ready, 1 failed (reason in $why), 2 archive unreachable
# (tests/roots.sh; a root another run is making is waited for)
make_root() {
    why=
    ROOTS=$roots sh "$top/tests/roots.sh" "$1" 2> "${TMPDIR:-/tmp}/roots-$1.$$.err"; rc=$?
    [ $rc = 0 ] || why=$(tail -n 1 "${TMPDIR:-/tmp}/roots-$1.$$.err")
    rm -f "${TMPDIR:-/tmp}/roots-$1.$$.err"
    return $rc
}

# the device files dnsmasq opens (/dev/null: --conf-file and the log of the
# upstream; /dev/urandom: its random seed)
make_dev() {
    for d in null:3 urandom:9; do
        n=${d%:*}; minor=${d#*:}; f=$1/dev/$n
        [ -c "$f" ] && continue
        mkdir -p "$1/dev"; rm -f "$f"
        if ! mknod -m 666 "$f" c 1 "$minor" 2>/dev/null; then
            : > "$f" && mount --bind "/dev/$n" "$f" && mounts="$f $mounts" || return 1
        fi
    done
}

# capture SUITE-ROOT WORK NAME MODE [debug] -> WORK/NAME/{dnsmasq.log,truth.tsv}
# retried once on other ports (a port taken by another program is not a
# failure of dnsmasq_log)
base=$(( 26000 + $$ % 24 * 8 ))
capture() {
    base=$((base + 16))
    if [ "${5:-}" = debug ]; then dbg=1; else dbg=; fi
    for b in $base $((base + 500)); do
        CAPTURE_ROOT=$1 CAPTURE_DEBUG=$dbg CAPTURE_APPEND=${APPEND:-} \
            sh "$here/capture.sh" "$4" "$2/$3" "$nq" $b > "$2/$3.cap" 2>&1 &
        cpid=$!; wait $cpid; rc=$?; cpid=
        [ $rc = 0 ] && return 0
        [ -n "${APPEND:-}" ] && return 1    # a retry would append a second part
    done
    return 1
}

# check_exact LABEL JSON TRUTH LOG [compare options]
check_exact() {
    l=$1; j=$2; t=$3; lg=$4; shift 4
    if python3 "$here/compare.py" --exact --label "$l" --log "$lg" "$@" "$j" "$t" > "$j.cmp"; then
        ok "$(head -1 "$j.cmp")"
    else bad "$(head -60 "$j.cmp")"; fi
}
check_plain() {
    l=$1; j=$2; t=$3; shift 3
    python3 "$here/compare.py" --label "$l" "$@" "$j" "$t" > "$j.cmp"
    pct=$(sed -n '1s/.*(\([0-9]*\)\.[0-9]%).*/\1/p' "$j.cmp")
    if [ -n "$pct" ] && [ "$pct" -ge "$floor" ]; then
        ok "$(head -1 "$j.cmp") (heuristic: reported, floor $floor%)"
    else bad "$(head -1 "$j.cmp") (heuristic, under the floor of $floor%)"; fi
}
check_transport() {
    l=$1; j=$2; t=$3; shift 3
    python3 "$here/compare.py" --transport --label "$l" "$@" "$j" "$t" > "$j.tr"; rc=$?
    case $rc in
        0) ok "$(head -1 "$j.tr")" ;;
        3) skip "$l: no event carries a transport field (dnsmasq_log does not write it yet)" ;;
        *) bad "$(head -12 "$j.tr")" ;;
    esac
}

# the PIDs that wrote query lines: production mode must show TCP children
# (or the capture did not exercise them), debug mode one process only
check_pids() {
    np=$(grep -E 'dnsmasq\[[0-9]+\]: .*query\[' "$2" | sed 's/.*dnsmasq\[\([0-9]*\)\].*/\1/' | sort -u | wc -l)
    ntcp=$(awk -F'\t' '$7 == "tcp" && $5 != "NONE"' "$3" | wc -l)
    if [ "$4" = debug ]; then
        [ "$np" = 1 ] && [ "$ntcp" -gt 0 ] && return 0
        bad "$1: debug mode: query lines from $np processes, $ntcp TCP clients answered"; return 1
    fi
    [ "$np" -gt 1 ] && [ "$ntcp" -gt 0 ] && return 0
    bad "$1: production mode: query lines from $np processes (no TCP child?), $ntcp TCP clients answered"
    return 1
}

parse() { # parse LOG JSON: dnsmasq_log --file, stderr kept beside
    "$bin" --file "$1" --timezone UTC > "$2" 2> "$2.err" ||
        { bad "dnsmasq_log --file $1: $(tail -2 "$2.err")"; return 1; }
}

run_suite() {
    s=$1; r=$roots/$s
    ver=$(chroot "$r" /usr/sbin/dnsmasq --version 2>/dev/null | sed -n '1s/^Dnsmasq version \([^ ]*\).*/\1/p')
    pkg=$(chroot "$r" dpkg-query -W -f='${Version}' dnsmasq-base 2>/dev/null)
    echo "real: $s: dnsmasq $ver (dnsmasq-base $pkg)"
    make_dev "$r" || { bad "$s: cannot make /dev/null and /dev/urandom in $r"; return; }
    w=$r/tmp/dnsmasq_log_real.$$
    rm -rf "$w"; mkdir -p "$w"; works="$works $w"
    key=$(cat "$here/capture.sh" "$here/slowrelay.py" | cksum | cut -d' ' -f1)-$nq
    cache=$cachetop/$s-$ver-$key; newc=$cache.new.$$; reuse=0; cap_ok=1
    if [ -z "${REAL_FRESH:-}" ] && [ -f "$cache/.complete" ]; then
        reuse=1
        echo "real: $s: parsing the captures made $(cat "$cache/.complete") (kept in $cache; REAL_FRESH=1 captures anew)"
    fi
    for run in production debug; do
        for mode in plain extra proto; do
            n=$mode-$run; l="$s $ver $mode, $run"
            if [ $reuse = 1 ]; then
                mkdir -p "$w/$n" && cp "$cache/$n/dnsmasq.log" "$cache/$n/truth.tsv" "$w/$n/" ||
                    { bad "$l: the kept capture in $cache is unreadable"; continue; }
            elif ! capture "$r" "$w" "$n" "$mode" "$run"; then
                bad "$l: capture: $(tail -3 "$w/$n.cap")"; cap_ok=0; continue
            fi
            check_pids "$l" "$w/$n/dnsmasq.log" "$w/$n/truth.tsv" "$run" || { cap_ok=0; continue; }
            if [ $reuse = 0 ]; then
                mkdir -p "$newc/$n" && cp "$w/$n/dnsmasq.log" "$w/$n/truth.tsv" "$newc/$n/" || cap_ok=0
            fi
            parse "$w/$n/dnsmasq.log" "$w/$n.json" || continue
            case $mode in
                plain) check_plain "$l" "$w/$n.json" "$w/$n/truth.tsv" ;;
                *) check_exact "$l" "$w/$n.json" "$w/$n/truth.tsv" "$w/$n/dnsmasq.log" ;;
            esac
            [ $mode = proto ] && check_transport "$l transport" "$w/$n.json" "$w/$n/truth.tsv"
        done
    done

    # one log, three daemons in turn; each part's events lie in its window
    n=restart; lg=$w/$n/dnsmasq.log; parts=""
    if [ $reuse = 1 ]; then
        mkdir -p "$w/$n" && cp "$cache/$n/dnsmasq.log" "$lg" && cp "$cache"/$n.*.tsv "$w/" &&
            parts=$(cat "$cache/$n.parts") ||
            { bad "$s $ver restart: the kept capture in $cache is unreadable"; return; }
    else
        for mode in plain extra proto; do
            t0=$(date +%s)
            APPEND=1 capture "$r" "$w" "$n" "$mode" ||
                { bad "$s $ver restart, $mode part: capture: $(tail -3 "$w/$n.cap")"; return; }
            t1=$(date +%s)
            cp "$w/$n/truth.tsv" "$w/$n.$mode.tsv"
            parts="$parts $mode:$t0:$t1"
            while [ "$(date +%s)" -le "$t1" ]; do sleep 0.2; done   # windows must not share a second
        done
    fi
    starts=$(grep -c ': started, version ' "$lg")
    [ "$starts" = 3 ] || { bad "$s $ver restart: $starts daemon starts in the log, not 3"; return; }
    # a complete, sound set of captures is kept for the next run
    if [ $reuse = 0 ] && [ $cap_ok = 1 ] && mkdir -p "$newc/$n" && cp "$lg" "$newc/$n/" &&
        cp "$w"/$n.*.tsv "$newc/" && echo "$parts" > "$newc/$n.parts"; then
        date -u '+%Y-%m-%d %H:%M UTC' > "$newc/.complete"
        rm -rf "$cache" && mv "$newc" "$cache" 2>/dev/null || rm -rf "$newc"
    else
        rm -rf "$newc"
    fi
    parse "$lg" "$w/$n.json" || return
    inside=0
    for p in $parts; do
        mode=${p%%:*}; t0=${p#*:}; t1=${t0#*:}; t0=${t0%:*}
        l="$s $ver restart (plain, extra, proto in one log), $mode part"
        inside=$(( inside + $(python3 -c 'import json,sys
print(sum(1 for x in open(sys.argv[1]) if x.strip() and int(sys.argv[2]) <= json.loads(x)["time"] <= int(sys.argv[3])))' \
            "$w/$n.json" "$t0" "$t1") ))
        case $mode in
            plain) check_plain "$l" "$w/$n.json" "$w/$n.$mode.tsv" --from "$t0" --to "$t1" ;;
            *) check_exact "$l" "$w/$n.json" "$w/$n.$mode.tsv" "$lg" --from "$t0" --to "$t1" ;;
        esac
    done
    all=$(wc -l < "$w/$n.json")
    if [ "$all" = "$inside" ]; then ok "$s $ver restart: all $all events inside the three parts' windows"
    else bad "$s $ver restart: $((all - inside)) of $all events outside every part's window"; fi
}

start=$(date +%s)
for s in $suites; do
    make_root "$s"; rc=$?
    case $rc in
        0) run_suite "$s" ;;
        2) skip "real dnsmasq ($s): debootstrap cannot reach the Debian archive: $why" ;;
        *) if [ "$s" = trixie ]; then bad "real dnsmasq 2.91 ($s): $why"
           else note "$s not run: its root does not install as trixie's does: $why"; fi ;;
    esac
done
echo "real: $(( $(date +%s) - start )) s"
summary
