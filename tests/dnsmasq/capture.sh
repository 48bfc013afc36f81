#!/bin/sh
# Run a real dnsmasq in front of a slow upstream (a relay adding 20-400 ms,
# then a second dnsmasq), fire concurrent dig clients from 127.0.0.2 and
# 127.0.0.3 with known source ports, and write:
#   OUT/dnsmasq.log   the front dnsmasq's query log
#   OUT/truth.tsv     what each client received:
#                     src port query type status answers transport(udp|tcp)
# Usage: capture.sh MODE(extra|plain|proto) OUT [NQUERIES] [BASEPORT]
# Environment:
#   CAPTURE_ROOT=DIR  run both dnsmasq daemons as `chroot DIR /usr/sbin/dnsmasq`
#                     (TZ=UTC); OUT must lie inside DIR, the daemons are given
#                     OUT's path as seen from inside the root
#   CAPTURE_DEBUG=1   --no-daemon (debug mode, TCP served in the main process)
#                     instead of --keep-in-foreground (TCP served by children)
#   CAPTURE_APPEND=1  keep OUT/dnsmasq.log: the new front daemon appends to it,
#                     as after a restart
# Some clients use TCP: local names, and example.org names that the front
# forwards straight to the upstream dnsmasq (the slow relay speaks UDP only).
# Only 127.0.0.x high ports are used: the daemons' from BASEPORT, the clients'
# in 4000-24299 and the front's upstream ports from 32768 (the kernel's
# ephemeral range, where the relay's are), so that a client's pinned port is
# not taken.  Daemons are stopped by their PIDs.
set -u
mode=$1; out=$2; nq=${3:-300}; base=${4:-25300}
here=$(cd "$(dirname "$0")" && pwd)
front=$base; relay=$((base + 1)); up=$((base + 2))
mkdir -p "$out"; out=$(cd "$out" && pwd)
root=${CAPTURE_ROOT:-}
if [ -n "$root" ]; then
    root=$(cd "$root" && pwd)
    case $out in "$root"/*) ;; *) echo "capture.sh: $out is not inside $root" >&2; exit 2 ;; esac
    din=${out#"$root"}          # OUT as the chrooted daemons see it
    me=root
else
    din=$out
    me=$(id -un)
fi
[ -n "${CAPTURE_APPEND:-}" ] || rm -f "$out/dnsmasq.log"
rm -f "$out/truth.tsv" "$out"/*.pid
case $mode in extra) lq=--log-queries=extra ;; proto) lq=--log-queries=proto ;; *) lq=--log-queries ;; esac
if [ -n "${CAPTURE_DEBUG:-}" ]; then fg=--no-daemon; else fg=--keep-in-foreground; fi

dnsmasq_run() {
    if [ -n "$root" ]; then exec env TZ=UTC chroot "$root" /usr/sbin/dnsmasq "$@"
    else exec dnsmasq "$@"; fi
}

# stop the daemons and wait (up to 3 s) until they are gone, so that a
# following capture with CAPTURE_APPEND finds the log complete
# ($! of a daemon is its PID: dnsmasq_run execs it in the subshell)
fpid=; upid=
stop() {
    pl="$fpid $upid"
    for p in "$out/front.pid" "$out/relay.pid" "$out/up.pid"; do
        [ -s "$p" ] && pl="$pl $(cat "$p")"
    done
    for p in $pl; do kill "$p" 2>/dev/null; done
    n=0
    for p in $pl; do
        while kill -0 "$p" 2>/dev/null && [ $n -lt 30 ]; do sleep 0.1; n=$((n + 1)); done
    done
    # a PID file left behind names a daemon still running (see real.sh)
    for p in $pl; do kill -0 "$p" 2>/dev/null && return; done
    rm -f "$out/front.pid" "$out/relay.pid" "$out/up.pid"
}
trap stop EXIT
trap 'exit 1' INT TERM

# upstream: CNAME-heavy Google-like data, NXDOMAIN names, AAAA for some
( dnsmasq_run --conf-file=/dev/null --keep-in-foreground --user="$me" --port=$up \
    --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
    --pid-file="$din/up.pid" --log-facility=/dev/null \
    --host-record=googlehosted.l.googleusercontent.com,203.0.113.134 \
    --host-record=googlehosted.l.googleusercontent.com,203.0.113.135 \
    --host-record=cdn.example.net,198.51.100.10,2001:db8::10 \
    --host-record=cdn.example.net,198.51.100.11 \
    --host-record=plain.example.net,198.51.100.20 \
    --host-record=v6only.example.net,2001:db8::20 \
    --host-record=direct.example.org,192.0.2.30 \
    --host-record=direct.example.org,192.0.2.31 \
    --cname=lh1.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh2.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh3.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh4.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh5.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh6.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=www.example.net,edge.example.net \
    --cname=edge.example.net,cdn.example.net \
    --cname=alias.example.org,direct.example.org \
    --address=/nx.googleusercontent.com/ --address=/example.net/ \
    --address=/example.org/ --address=/msftncsi.com/ ) 2> "$out/up.err" &
upid=$!
python3 "$here/slowrelay.py" $relay $up "$out/relay.pid" &
sleep 0.5
( dnsmasq_run --conf-file=/dev/null $fg --user="$me" --port=$front \
    --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
    --server=127.0.0.1#$relay --server=/example.org/127.0.0.1#$up --min-port=32768 \
    --pid-file="$din/front.pid" \
    $lq --log-facility="$din/dnsmasq.log" \
    --address=/teredo.ipv6.microsoft.com/65.55.158.118 \
    --host-record=win7.lan,192.168.7.7 \
    --host-record=dns.msftncsi.com,131.107.255.255 \
    --cname=alias.lan,win7.lan ) 2> "$out/front.err" &
fpid=$!
# A loaded machine may take a while to start three daemons: poll (up to 10 s)
# rather than trust a fixed sleep.
n=0
# In debug mode dnsmasq writes no PID file: its "started" line on stderr
# (it has bound its sockets by then) says it is ready.
if [ -n "${CAPTURE_DEBUG:-}" ]; then
    while ! grep -q 'started, version' "$out/front.err" 2>/dev/null && kill -0 $fpid 2>/dev/null &&
          [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    grep -q 'started, version' "$out/front.err" && echo $fpid > "$out/front.pid"
fi
while { [ ! -s "$out/front.pid" ] || [ ! -s "$out/up.pid" ] || [ ! -s "$out/relay.pid" ]; } && [ $n -lt 100 ]; do
    sleep 0.1; n=$((n + 1))
done
for d in up relay front; do
    [ -s "$out/$d.pid" ] || { echo "$d daemon did not start: $(head -2 "$out/$d.err" 2>/dev/null)" >&2; exit 1; }
done
sleep 0.2

names="teredo.ipv6.microsoft.com lh1.googleusercontent.com lh2.googleusercontent.com
lh3.googleusercontent.com lh4.googleusercontent.com lh5.googleusercontent.com
lh6.googleusercontent.com nx-0.nx.googleusercontent.com nx-1.nx.googleusercontent.com
nx-2.nx.googleusercontent.com www.example.net edge.example.net cdn.example.net
plain.example.net v6only.example.net win7.lan alias.lan dns.msftncsi.com
missing.example.net"
# names a TCP client may ask: answered locally or forwarded over TCP
tcpnames="teredo.ipv6.microsoft.com direct.example.org win7.lan alias.example.org
alias.lan missing.example.org teredo.ipv6.microsoft.com"
set -- $tcpnames; ntn=$#
set -- $names; nn=$#
i=0
mkdir -p "$out/dig"
# One process per client (dig itself): what each received is read from the
# outputs after the last one has finished, in one pass.
: > "$out/dig/meta.tsv"
pids=
while [ $i -lt "$nq" ]; do
    k=$(( (i * 7 + i / 3) % nn + 1 ))
    eval "name=\${$k}"
    case $(( i % 5 )) in 0|1|2) t=A ;; 3) t=AAAA ;; *) t=A ;; esac
    [ $(( i % 23 )) = 5 ] && { name=131.107.255.255; t=PTR; }
    src=127.0.0.$(( 2 + i % 2 )); port=$(( 4000 + base % 1000 * 20 + i ))
    tcp=; tr=udp
    # TCP (in production mode a forked child, serials in +100 blocks)
    if [ $(( i % 13 )) = 7 ]; then
        tcp=+tcp; tr=tcp; t=A
        set -- $tcpnames; k=$(( i / 13 % ntn + 1 )); eval "name=\${$k}"; set -- $names
    fi
    if [ "$t" = PTR ]; then q="-x $name"; qn=255.255.107.131.in-addr.arpa; else q="$name $t"; qn=$name; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$src" "$port" "$qn" "$t" "$tr" >> "$out/dig/meta.tsv"
    # shellcheck disable=SC2086
    dig @127.0.0.1 -p $front -b "$src#$port" +tries=1 +time=4 $tcp +noall +answer +comments $q \
        > "$out/dig/$i.out" 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
    [ $(( i % 40 )) = 0 ] && sleep 0.15
done
# shellcheck disable=SC2086
wait $pids
# truth.tsv, by client port: the reply code dig printed (NONE: no reply) and
# the A, AAAA and PTR answers, sorted, without the root dot
python3 - "$out/dig" > "$out/truth.tsv" <<'PY'
import os, re, sys
d = sys.argv[1]
rows = []
for line in open(os.path.join(d, "meta.tsv")):
    i, src, port, qn, t, tr = line.rstrip("\n").split("\t")
    st, ans = "NONE", []
    try:
        with open(os.path.join(d, i + ".out"), errors="replace") as f:
            text = f.read().splitlines()
    except OSError:
        text = []
    for l in text:
        m = re.search(r"status: ([A-Z]+),", l)
        if m:
            st = m.group(1)
        f = l.split()
        if not l.startswith(";") and len(f) >= 5 and f[3] in ("A", "AAAA", "PTR"):
            ans.append(f[4][:-1] if f[4].endswith(".") else f[4])
    rows.append((int(port), "\t".join([src, port, qn, t, st, ",".join(sorted(ans)), tr])))
for _, r in sorted(rows):
    print(r)
PY
rm -rf "$out/dig"
sleep 0.3
