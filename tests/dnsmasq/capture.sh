#!/bin/sh
# Run a real dnsmasq in front of a slow upstream (a relay adding 20-400 ms,
# then a second dnsmasq), fire concurrent dig clients from 127.0.0.2 and
# 127.0.0.3 with known source ports, and write:
#   OUT/dnsmasq.log   the front dnsmasq's query log
#   OUT/truth.tsv     what each client received: src port query type status answers
# Usage: capture.sh MODE(extra|plain) OUT [NQUERIES] [BASEPORT]
# Only 127.0.0.x high ports are used; daemons are stopped by their PIDs.
set -u
mode=$1; out=$2; nq=${3:-300}; base=${4:-25300}
here=$(cd "$(dirname "$0")" && pwd)
front=$base; relay=$((base + 1)); up=$((base + 2))
mkdir -p "$out"; out=$(cd "$out" && pwd)
rm -f "$out/dnsmasq.log" "$out/truth.tsv" "$out"/*.pid
me=$(id -un)
case $mode in extra) lq=--log-queries=extra ;; *) lq=--log-queries ;; esac

stop() {
    for p in "$out/front.pid" "$out/relay.pid" "$out/up.pid"; do
        [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
    done
    sleep 0.3
}
trap stop EXIT INT TERM

# upstream: CNAME-heavy Google-like data, NXDOMAIN names, AAAA for some
dnsmasq --conf-file=/dev/null --keep-in-foreground --user="$me" --port=$up \
    --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
    --pid-file="$out/up.pid" --log-facility=/dev/null \
    --host-record=googlehosted.l.googleusercontent.com,203.0.113.134 \
    --host-record=googlehosted.l.googleusercontent.com,203.0.113.135 \
    --host-record=cdn.example.net,198.51.100.10,2001:db8::10 \
    --host-record=cdn.example.net,198.51.100.11 \
    --host-record=plain.example.net,198.51.100.20 \
    --host-record=v6only.example.net,2001:db8::20 \
    --cname=lh1.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh2.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh3.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh4.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh5.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=lh6.googleusercontent.com,googlehosted.l.googleusercontent.com \
    --cname=www.example.net,edge.example.net \
    --cname=edge.example.net,cdn.example.net \
    --address=/nx.googleusercontent.com/ --address=/example.net/ 2> "$out/up.err" &
python3 "$here/slowrelay.py" $relay $up "$out/relay.pid" &
sleep 0.5
dnsmasq --conf-file=/dev/null --keep-in-foreground --user="$me" --port=$front \
    --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
    --server=127.0.0.1#$relay --pid-file="$out/front.pid" \
    $lq --log-facility="$out/dnsmasq.log" \
    --address=/teredo.ipv6.microsoft.com/65.55.158.118 \
    --host-record=win7.lan,192.168.7.7 \
    --host-record=dns.msftncsi.com,131.107.255.255 \
    --cname=alias.lan,win7.lan 2> "$out/front.err" &
# A loaded machine may take a while to start three daemons: poll (up to 10 s)
# rather than trust a fixed sleep.
n=0
while { [ ! -s "$out/front.pid" ] || [ ! -s "$out/up.pid" ] || [ ! -s "$out/relay.pid" ]; } && [ $n -lt 100 ]; do
    sleep 0.1; n=$((n + 1))
done
for d in up relay front; do
    [ -s "$out/$d.pid" ] || { echo "$d daemon did not start: $(cat "$out/$d.err" 2>/dev/null | head -2)" >&2; exit 1; }
done
sleep 0.2

names="teredo.ipv6.microsoft.com lh1.googleusercontent.com lh2.googleusercontent.com
lh3.googleusercontent.com lh4.googleusercontent.com lh5.googleusercontent.com
lh6.googleusercontent.com nx-0.nx.googleusercontent.com nx-1.nx.googleusercontent.com
nx-2.nx.googleusercontent.com www.example.net edge.example.net cdn.example.net
plain.example.net v6only.example.net win7.lan alias.lan dns.msftncsi.com
missing.example.net"
set -- $names; nn=$#
i=0
mkdir -p "$out/dig"
while [ $i -lt "$nq" ]; do
    k=$(( (i * 7 + i / 3) % nn + 1 ))
    eval "name=\${$k}"
    case $(( i % 5 )) in 0|1|2) t=A ;; 3) t=AAAA ;; *) t=A ;; esac
    [ $(( i % 23 )) = 5 ] && { name=131.107.255.255; t=PTR; }
    src=127.0.0.$(( 2 + i % 2 )); port=$(( 30000 + base % 1000 * 20 + i ))
    tcp=
    # TCP (a forked child, serials in +100 blocks) only for local names: the
    # slow relay speaks UDP only
    if [ $(( i % 29 )) = 7 ]; then tcp=+tcp; name=teredo.ipv6.microsoft.com; t=A; fi
    if [ "$t" = PTR ]; then q="-x $name"; qn=255.255.107.131.in-addr.arpa; else q="$name $t"; qn=$name; fi
    ( dig @127.0.0.1 -p $front -b "$src#$port" +tries=1 +time=4 $tcp +noall +answer +comments $q \
        > "$out/dig/$i.out" 2>&1
      st=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' "$out/dig/$i.out")
      ans=$(awk '!/^;/ && NF >= 5 && ($4 == "A" || $4 == "AAAA" || $4 == "PTR") {print $5}' "$out/dig/$i.out" | sed 's/\.$//' | sort | tr '\n' ',' | sed 's/,$//')
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$src" "$port" "$qn" "$t" "${st:-NONE}" "$ans" > "$out/dig/$i.tsv" ) &
    i=$((i + 1))
    [ $(( i % 40 )) = 0 ] && sleep 0.15
done
wait_n=0
while [ "$(ls "$out/dig"/*.tsv 2>/dev/null | wc -l)" -lt "$nq" ] && [ $wait_n -lt 100 ]; do
    sleep 0.1; wait_n=$((wait_n + 1))
done
cat "$out/dig"/*.tsv | sort -t "$(printf '\t')" -k2,2n > "$out/truth.tsv"
rm -rf "$out/dig"
sleep 0.3
