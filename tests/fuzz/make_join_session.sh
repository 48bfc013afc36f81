#!/bin/sh
# Build tests/data/scp/join_session.in: the request stream splunkd would send
# to `dnsjoin join` for three of the join cases, the community_id and
# bypass flows (ports, transports, public resolvers), plus rows with awkward
# values (quotes, commas, CR LF inside a value, "$" and ";" in multivalues,
# invalid UTF-8), newest first in chunks of 4 rows.  The stream is what
# bin/scpdrive writes, captured with tee on the way to bin/dnsjoin.
#
#   sh tests/fuzz/make_join_session.sh [BIN]     (from the repository root)
set -eu
bin=${1:-bin}
out=tests/data/scp/join_session.in
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# awkward rows: a DNS answer with a multivalue, network rows that hit it
printf '%s\r\n' \
  'id,_time,src,query,answer,__mv_answer,dest_ip,_raw' \
  'o1,2500,10.9.9.9,"odd,""name"".example","198.51.100.7' \
  '198.51.100.8","$198.51.100.7$;$198.51.100.8$",,"dns, ""quoted"""' \
  "o2,2501,10.9.9.9,,,,198.51.100.8,\"net \$x\$;y $(printf '\377\376') bad utf8\"" \
  'o3,2502,10.9.9.10,,,,198.51.100.7,"cr lf' \
  'inside"' > "$tmp/odd.csv"
"$bin/scpdrive" --args 'window=1h skew=2s maxnames=5' --command dnsjoin \
    --chunk-rows 4 --order desc \
    tests/data/join/cname_multivalue/input.csv tests/data/join/tunnels/input.csv \
    tests/data/join/ipv6_forms/input.csv tests/data/community_id/events.csv \
    tests/data/resolvers/events.csv "$tmp/odd.csv" \
    -- sh -c "tee '$tmp/req' | '$bin/dnsjoin' join" > "$tmp/out"
cp "$tmp/req" "$out"
echo "wrote $out ($(wc -c < "$out") bytes, $(grep -a -o "chunked 1.0," "$out" | wc -l) frames)"
